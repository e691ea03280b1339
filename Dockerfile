# syntax=docker/dockerfile:1
# One image for every function (FUNCTION_TARGET picks it) and for the
# migration job (command: node dist/server/migrateMain.js). The base is pinned
# to the exact Node of .node-version (test/runtime.test.ts keeps them equal);
# test/e2e/image.test.ts builds this file with buildah and runs the image.

FROM node:24.22.3-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
# Install scripts would hydrate the local PostgreSQL binaries, which the image
# never uses; the one it needs, the patch of postgres.js that the bundle holds
# (patches/), runs on its own.
RUN npm ci --ignore-scripts --no-audit --no-fund && npx patch-package
COPY tsconfig.json tsconfig.build.json ./
# Every runtime folder: test/architecture.test.ts fails on an import of one not copied here.
COPY config ./config
COPY db ./db
COPY drizzle ./drizzle
COPY functions ./functions
COPY http ./http
COPY log ./log
COPY replication ./replication
COPY secrets ./secrets
COPY server ./server
# The build's last step bundles each entry point with what it imports.
COPY dev/bundle.ts ./dev/bundle.ts
RUN npm run build

FROM node:24.22.3-bookworm-slim AS production-dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:24.22.3-bookworm-slim
ENV NODE_ENV=production \
    PORT=8080 \
    FUNCTION_TARGET=api
WORKDIR /app
COPY --from=production-dependencies /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# The node image's unprivileged user.
USER node
EXPOSE 8080
# Our own entry point, not the framework's CLI: it drains in-flight requests
# and closes both pools on SIGTERM (the CLI exits at once), bundled by
# dev/bundle.ts. A smaller young generation (Node 24's default lets it grow to
# tens of MB under load, about 100 MB of the resident memory) and a 96 MB old
# generation, about four times the live heap, which makes V8 collect before
# the heap grows; a heap that outgrows it ends the process, and Cloud Run
# starts another (docs/operations.md, Benchmarks).
CMD ["node", "--max-semi-space-size=8", "--max-old-space-size=96", "dist/server/main.js"]
