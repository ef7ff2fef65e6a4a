// serverless-esbuild 1.57.2 builds each function's zip from a staging directory it makes in the OS temp
// directory (<function>-<pid>-<milliseconds>-<8 hex digits>) and then fails to remove it: its release removes
// the directory without `recursive` and swallows the ENOTEMPTY (upstream: floydspace/serverless-esbuild pull
// request 589). Every `serverless package` (a deploy's, the tests', the bench's) would leave one such directory
// per function, its bundle and source map inside. This local plugin removes the ones this process made, once
// serverless-esbuild has packaged.
const { readdirSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');

const literal = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

class ZipStagingCleanup {
  constructor(serverless) {
    const removeStaging = () => {
      const functions = Object.keys(serverless.service.functions ?? {});
      if (functions.length === 0) return;
      const staging = new RegExp(
        `^(?:${functions.map(literal).join('|')})-${process.pid}-\\d+-[0-9a-f]{8}$`,
      );
      const temp = tmpdir();
      for (const name of readdirSync(temp))
        if (staging.test(name)) rmSync(path.join(temp, name), { recursive: true, force: true });
    };
    this.hooks = {
      'after:package:createDeploymentArtifacts': removeStaging,
      'after:deploy:function:packageFunction': removeStaging,
    };
  }
}

module.exports = ZipStagingCleanup;
