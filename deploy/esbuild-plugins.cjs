// esbuild plugins for serverless-esbuild (custom.esbuild.plugins in serverless.yml).
module.exports = [require('./esbuild-kafkajs-producer-only.cjs')];
