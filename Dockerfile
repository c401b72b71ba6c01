# syntax=docker/dockerfile:1
FROM node:20-bookworm-slim AS deps
WORKDIR /app
# Native addons (better-sqlite3) build here if no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# onnxruntime-node's install step only downloads CUDA providers from NuGet (the CPU runtime ships in the
# package); npm 10 in this image does not read package.json's allowScripts, so skip it here.
ENV ONNXRUNTIME_NODE_INSTALL=skip
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
# Inside the container the server listens on every interface: `-p` on the host decides who reaches it.
# (Outside a container LABELER_HOST defaults to loopback.)
ENV NODE_ENV=production DATA_DIR=/data LABELER_HOST=0.0.0.0
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
COPY migrations ./migrations
COPY manifests ./manifests
COPY models ./models
# Optional: transformers.js embedding models to bake in (space-separated names), so the image needs no download at run time.
ARG EMBEDDING_MODELS=""
RUN for m in $EMBEDDING_MODELS; do MODELS_ALLOW_REMOTE=true MODELS_DIR=./models node bin/skysift.js models pull "$m" || exit 1; done
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 14831
# Healthy while the server answers and its database works (a Jetstream outage shows in /health, but a restart would not fix it).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.LABELER_PORT || 14831) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node itself is PID 1 (npm would stand between it and the signals): skysift handles SIGTERM and SIGINT,
# so `docker stop` drains and stops it cleanly; a second signal stops it at once.
STOPSIGNAL SIGTERM
CMD ["node", "bin/skysift.js", "start"]
