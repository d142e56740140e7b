# Bastion: one image serving the API and the built web app. Multi-stage: compile everything in
# `build`, then ship only the API's production dependencies, its build and the web build,
# running as the unprivileged `node` user. See docs/operations.md.

FROM node:20-bookworm-slim AS build
# better-sqlite3 compiles from source when no prebuilt binary matches.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
RUN npm install -g pnpm@9.15.9
ENV CI=true TURBO_TELEMETRY_DISABLED=1 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
WORKDIR /src
# Dependencies first, from the lockfile alone, so source edits reuse this layer.
COPY pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
RUN pnpm fetch
COPY . .
RUN pnpm install --frozen-lockfile --offline
RUN pnpm exec turbo run build --filter=@bastion/api --filter=@bastion/web
# A self-contained copy of the API: its `files` (dist) + package.json, production
# node_modules only, and @bastion/contracts copied in from its own `files` (dist).
RUN pnpm --filter @bastion/api deploy --prod /out \
 && test -f /out/dist/main.js \
 && test -f /out/node_modules/@bastion/contracts/dist/index.js \
 && test -f /src/apps/web/dist/index.html

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/data WEB_DIST_DIR=/app/web
WORKDIR /app
# Owned by root and read-only to the app: the process cannot change its own code.
COPY --from=build /out /app/api
COPY --from=build /src/apps/web/dist /app/web
COPY deploy/healthcheck.cjs /app/healthcheck.cjs
# The data folder is only used with the embedded SQLite store; PostgreSQL needs none.
RUN mkdir -p /data && chown node:node /data && chmod 700 /data
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=5 \
  CMD ["node", "/app/healthcheck.cjs"]
CMD ["node", "/app/api/dist/main.js"]
