# couponbridge image: builds TypeScript and the better-sqlite3 native module in a throwaway stage,
# ships only dist/, production node_modules, schemas, mappings and the defaults file.
# Run: docker run -v $PWD/couponbridge.yaml:/etc/couponbridge/couponbridge.yaml:ro \
#        -e PYUN_APP_SECRET=… -p 8080:8080 couponbridge
# The mounted config should set `server.host: 0.0.0.0` (the default listens on loopback only),
# `mappings: /app/mappings` (relative paths resolve against the config file's folder) and keep the
# SQLite store under /var/lib/couponbridge (a volume), or point at PostgreSQL.
# docs/deployment-docker.md: docker run, compose with PostgreSQL; scripts/container-proof.ts
# builds and starts this image's artefact with these same steps outside Docker (npm test runs it).

FROM node:20-bookworm-slim AS build
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# `prepare` builds dist/, which needs the sources: install first without scripts, build below.
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY schemas ./schemas
COPY mappings ./mappings
COPY bin ./bin
COPY scripts/copy-assets.mjs ./scripts/
COPY couponbridge.default.yaml ./
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/schemas ./schemas
COPY --from=build /app/mappings ./mappings
COPY --from=build /app/couponbridge.default.yaml ./
RUN mkdir -p /etc/couponbridge /var/lib/couponbridge && chown node:node /var/lib/couponbridge
USER node
VOLUME ["/var/lib/couponbridge"]
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD node -e "require('http').get('http://127.0.0.1:8080/healthz',r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"
CMD ["node", "bin/couponbridge.js", "serve", "--config", "/etc/couponbridge/couponbridge.yaml"]
