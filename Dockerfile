# syntax=docker/dockerfile:1
FROM node:20-bookworm-slim AS deps
WORKDIR /app
# Native addons (better-sqlite3) build here if no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json .npmrc ./
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
CMD ["npm", "start"]
