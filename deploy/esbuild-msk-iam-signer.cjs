// An esbuild plugin that leaves out the parts of AWS's MSK IAM signer (aws-msk-iam-sasl-signer-js) that
// lib/producer/broker-security.ts never calls. It calls generateAuthToken({ region }) only: credentials from
// the default provider chain, no debug logging of the caller's identity. Left out: generateAuthTokenFromProfile
// and generateAuthTokenFromRole with the credential providers only they use, and logCallerIdentity (run only
// with awsDebugCreds). Each throws, naming itself, if it is ever called (deploy/left-out-runtime.cjs). The
// signer is compiled to ES5, so each of these carries its own generator state machine: about 1 KB in all.
const { readFileSync } = require('node:fs');
const { withFunctionsLeftOut } = require('./esbuild-left-out.cjs');

const NOT_CALLED = 'lib/producer/broker-security.ts calls generateAuthToken({ region }) only';

const leftOut = {
  'getMSKAuthToken.js': [
    'generateAuthTokenFromProfile',
    'generateAuthTokenFromRole',
    'logCallerIdentity',
  ],
  'mskCredentialProvider.js': ['getCredentialsFromProfile', 'getCredentialsFromRole'],
};

module.exports = {
  name: 'msk-iam-signer',
  setup(build) {
    build.onLoad(
      {
        filter:
          /[\\/]aws-msk-iam-sasl-signer-js[\\/]dist[\\/](getMSKAuthToken|mskCredentialProvider)\.js$/,
      },
      (args) => {
        const file = /[^\\/]+$/.exec(args.path)[0];
        return {
          loader: 'js',
          contents: withFunctionsLeftOut(
            readFileSync(args.path, 'utf8'),
            args.path,
            leftOut[file],
            'aws-msk-iam-sasl-signer-js ',
            NOT_CALLED,
          ),
        };
      },
    );
  },
};
