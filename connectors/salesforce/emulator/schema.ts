// The org the Salesforce emulator starts with: its objects, their standard fields and relationships, the id
// prefix of each object and the default lead statuses (reference/api-notes.md §3).
import type { SfFieldType, SfValue } from './soql.js';

export type { SfFieldType, SfValue } from './soql.js';
export type SfRecord = Record<string, SfValue>;
export type SeedRecord = Record<string, SfValue | undefined>;
export type EmulatedObject = 'Lead' | 'User' | 'Group' | 'Account' | 'Contact' | 'LeadStatus' | 'Task' | 'LeadHistory';

export interface EmulatorFieldDef {
  name: string;
  type: SfFieldType;
  label?: string;
  /** For picklists. */
  picklistValues?: string[];
  /** A restricted picklist refuses values outside picklistValues. */
  restricted?: boolean;
  updateable?: boolean;
  createable?: boolean;
  /** For reference fields: the objects an id may point at. */
  referenceTo?: EmulatedObject[];
  length?: number;
}

export const ID_PREFIX: Record<EmulatedObject, string> = {
  Lead: '00Q',
  User: '005',
  Group: '00G',
  Account: '001',
  Contact: '003',
  LeadStatus: '01J',
  Task: '00T',
  LeadHistory: '017',
};

export const SYSTEM_FIELDS: EmulatorFieldDef[] = [
  { name: 'Id', type: 'id', updateable: false, createable: false },
  { name: 'IsDeleted', type: 'boolean', updateable: false, createable: false },
  { name: 'CreatedDate', type: 'datetime', updateable: false, createable: false },
  { name: 'CreatedById', type: 'reference', referenceTo: ['User'], updateable: false, createable: false },
  { name: 'LastModifiedDate', type: 'datetime', updateable: false, createable: false },
  { name: 'LastModifiedById', type: 'reference', referenceTo: ['User'], updateable: false, createable: false },
  { name: 'SystemModstamp', type: 'datetime', updateable: false, createable: false },
];

export const STANDARD_FIELDS: Record<EmulatedObject, EmulatorFieldDef[]> = {
  Lead: [
    { name: 'FirstName', type: 'string', length: 40 },
    { name: 'LastName', type: 'string', length: 80 },
    { name: 'Email', type: 'email', length: 80 },
    { name: 'Company', type: 'string', length: 255 },
    { name: 'Title', type: 'string', length: 128 },
    { name: 'Country', type: 'string', length: 80 },
    { name: 'Phone', type: 'phone', length: 40 },
    { name: 'Website', type: 'url', length: 255 },
    { name: 'NumberOfEmployees', type: 'int' },
    {
      name: 'Industry',
      type: 'picklist',
      picklistValues: ['Agriculture', 'Banking', 'Education', 'Healthcare', 'Manufacturing', 'Retail', 'Technology'],
    },
    {
      name: 'LeadSource',
      type: 'picklist',
      picklistValues: ['Web', 'Phone Inquiry', 'Partner Referral', 'Purchased List', 'Other'],
    },
    { name: 'Rating', type: 'picklist', picklistValues: ['Hot', 'Warm', 'Cold'] },
    { name: 'Status', type: 'picklist', restricted: true },
    { name: 'Description', type: 'textarea', length: 32000 },
    { name: 'OwnerId', type: 'reference', referenceTo: ['User', 'Group'] },
    { name: 'IsConverted', type: 'boolean', updateable: false, createable: false },
    { name: 'ConvertedDate', type: 'date', updateable: false, createable: false },
    { name: 'MasterRecordId', type: 'reference', referenceTo: ['Lead'], updateable: false, createable: false },
  ],
  User: [
    { name: 'Username', type: 'string', length: 80 },
    { name: 'Email', type: 'email', length: 128 },
    { name: 'FirstName', type: 'string', length: 40 },
    { name: 'LastName', type: 'string', length: 80 },
    { name: 'Name', type: 'string', updateable: false, createable: false },
    { name: 'IsActive', type: 'boolean' },
    { name: 'UserType', type: 'picklist', picklistValues: ['Standard', 'PowerPartner', 'CsnOnly'] },
  ],
  Group: [
    { name: 'Name', type: 'string', length: 40 },
    { name: 'Type', type: 'picklist', picklistValues: ['Queue', 'Regular'] },
  ],
  Account: [
    { name: 'Name', type: 'string', length: 255 },
    { name: 'Website', type: 'url', length: 255 },
    { name: 'Industry', type: 'picklist', picklistValues: [] },
    { name: 'NumberOfEmployees', type: 'int' },
    { name: 'OwnerId', type: 'reference', referenceTo: ['User'] },
  ],
  Contact: [
    { name: 'FirstName', type: 'string', length: 40 },
    { name: 'LastName', type: 'string', length: 80 },
    { name: 'Email', type: 'email', length: 80 },
    { name: 'Title', type: 'string', length: 128 },
    { name: 'AccountId', type: 'reference', referenceTo: ['Account'] },
    { name: 'OwnerId', type: 'reference', referenceTo: ['User'] },
  ],
  LeadStatus: [
    { name: 'ApiName', type: 'string', updateable: false },
    { name: 'MasterLabel', type: 'string', updateable: false },
    { name: 'IsConverted', type: 'boolean', updateable: false },
    { name: 'IsDefault', type: 'boolean', updateable: false },
    { name: 'SortOrder', type: 'int', updateable: false },
  ],
  Task: [
    { name: 'WhoId', type: 'reference', referenceTo: ['Lead', 'Contact'] },
    { name: 'WhatId', type: 'reference', referenceTo: ['Account'] },
    { name: 'Subject', type: 'string', length: 255 },
    { name: 'Description', type: 'textarea', length: 32000 },
    {
      name: 'Status',
      type: 'picklist',
      restricted: true,
      picklistValues: ['Not Started', 'In Progress', 'Completed', 'Waiting on someone else', 'Deferred'],
    },
    { name: 'Priority', type: 'picklist', restricted: true, picklistValues: ['High', 'Normal', 'Low'] },
    { name: 'ActivityDate', type: 'date' },
    { name: 'OwnerId', type: 'reference', referenceTo: ['User'] },
  ],
  // Field history tracking; OldValue/NewValue are anyType in Salesforce (not filterable there either).
  LeadHistory: [
    { name: 'LeadId', type: 'reference', referenceTo: ['Lead'], updateable: false, createable: false },
    { name: 'Field', type: 'picklist', updateable: false, createable: false },
    { name: 'OldValue', type: 'string', updateable: false, createable: false },
    { name: 'NewValue', type: 'string', updateable: false, createable: false },
  ],
};

/** Relationship name → the reference field that holds the id (Account → AccountId, Owner → OwnerId). */
export const RELATIONSHIPS: Record<EmulatedObject, Record<string, string>> = {
  Lead: { owner: 'OwnerId', createdby: 'CreatedById', lastmodifiedby: 'LastModifiedById' },
  User: {},
  Group: {},
  Account: { owner: 'OwnerId' },
  Contact: { account: 'AccountId', owner: 'OwnerId' },
  LeadStatus: {},
  Task: { who: 'WhoId', what: 'WhatId', owner: 'OwnerId' },
  LeadHistory: { lead: 'LeadId' },
};

export const DEFAULT_LEAD_STATUSES: Array<{ name: string; converted: boolean; isDefault?: boolean }> = [
  { name: 'Open - Not Contacted', converted: false, isDefault: true },
  { name: 'Working - Contacted', converted: false },
  { name: 'Marketing Qualified', converted: false },
  { name: 'Closed - Converted', converted: true },
  { name: 'Closed - Not Converted', converted: false },
];
