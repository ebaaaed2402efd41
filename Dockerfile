# syntax=docker/dockerfile:1
# handoff: one small image that runs the worker (`handoff run`).
#   docker build -t handoff .
#   docker run -v handoff-data:/data -v $PWD/handoff.yaml:/config/handoff.yaml:ro --env-file .env -p 3000:3000 handoff
# Node 24 is the active LTS (Node 20 reached end of life in April 2026); every runtime dependency supports it
# (better-sqlite3 12: Node 20–26). Override with --build-arg NODE_IMAGE=node:22-bookworm-slim if you must.
ARG NODE_IMAGE=node:24-bookworm-slim

# ---- production dependencies, with better-sqlite3 compiled on the same base as the runtime -------------------------
FROM ${NODE_IMAGE} AS deps
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: package.json's `prepare` runs the TypeScript build, which needs devDependencies. The one install
# script we need is better-sqlite3's, run next and built from source for this Node and this libc.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3 --build-from-source \
 && npm cache clean --force

# ---- the TypeScript build ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY connectors ./connectors
RUN npx tsc -p tsconfig.build.json

# ---- runtime ----------------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# tini is PID 1: it forwards SIGTERM to node (the first signal drains, a second forces) and reaps zombies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    HANDOFF_CONFIG=/config/handoff.yaml
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/connectors ./dist/connectors
COPY package.json ./
COPY config ./config
RUN chmod +x dist/src/cli/bin.js \
 && ln -s /app/dist/src/cli/bin.js /usr/local/bin/handoff \
 && mkdir -p /data /config \
 && chown node:node /data
# SQLite lives here (store.url: sqlite:/data/handoff.db; relative paths resolve here too).
VOLUME /data
WORKDIR /data
USER node
EXPOSE 3000
# Liveness: GET /healthz on server.port (set HANDOFF_HEALTH_PORT when it is not 3000).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.HANDOFF_HEALTH_PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["handoff", "run"]
