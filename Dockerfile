# syntax=docker/dockerfile:1
# One image for every sisock component: the command picks which
# (`sisock router`, `sisock hub`, `sisock http`, `sisock node <kind>`,
# `sisock scan`, `sisock tls init`). See docs/deployment.md.
#
#   docker build -t sisock .
#   docker run --rm sisock --help
ARG NODE_VERSION=20

# --- build: all dependencies (TypeScript, the web monitor's bundler), then
# keep only what runs: production dependencies, the compiled code and the
# monitor's static files (dist/monitor, served by `sisock http`).
FROM node:${NODE_VERSION}-bookworm AS build
WORKDIR /app
# dependencies first, so this layer is rebuilt only when the lock file changes
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && mkdir -p /out/dist \
 && cp -r package.json bin data node_modules /out/ \
 && cp -r dist/src /out/dist/src \
 && if [ -d dist/monitor ]; then cp -r dist/monitor /out/dist/monitor; fi

# --- run: production dependencies only, as an unprivileged user.
FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /out /app
# /app/.sisock: state (the data-feed spool); /tls: certificates (`sisock tls init --dir /tls`).
# Volumes mounted there start out owned by the user below.
RUN chmod +x /app/bin/sisock.js \
 && ln -s /app/bin/sisock.js /usr/local/bin/sisock \
 && mkdir -p /app/.sisock/spool /tls \
 && chown -R node:node /app/.sisock /tls
USER node
# 8001: open WAMP listener (OCS), 8080: secure WAMP listener, 5000: HTTP bridge
EXPOSE 8001 8080 5000
ENTRYPOINT ["sisock"]
CMD ["help"]
