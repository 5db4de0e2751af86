'use strict';

// Points the framework's AWS SDK (aws-sdk v2, which reads no endpoint from
// the environment) at LK_AWS_ENDPOINT, a local moto_server, so that
// `serverless package` never reaches AWS. Without LK_AWS_ENDPOINT it does
// nothing.
class MotoEndpoint {
  constructor(serverless) {
    const endpoint = process.env.LK_AWS_ENDPOINT;
    if (!endpoint) return;
    serverless.getProvider('aws').sdk.config.update({ endpoint, s3ForcePathStyle: true });
  }
}

module.exports = MotoEndpoint;
