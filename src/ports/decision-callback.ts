// Where decisions on pushed leads go when the intake source names a callback URL (crm: none, or besides the CRM).
export interface DecisionCallbackMessage {
  /** The intake source id; its callback URL and secret are the connector's. */
  sourceId: string;
  /** Stable per decision: the receiver can drop a repeated delivery by it (X-Handoff-Delivery). */
  deliveryId: string;
  body: Record<string, unknown>;
}

export interface DecisionCallbacks {
  /** Throws a ConnectorError (classified) when the receiver does not answer 2xx. */
  send(message: DecisionCallbackMessage): Promise<void>;
}
