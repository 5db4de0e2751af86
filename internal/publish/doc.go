// Package publish puts a build's layer zips into Lambda as layer versions,
// in many regions, idempotently: a layer whose newest version already has
// the zip's CodeSha256 and the same metadata is reported, not published
// again, so a rerun (or a run cut off halfway and started again) never
// makes a duplicate version. Zips go to S3 under content-addressed keys
// (skipped when the object is already there with the same checksum) or, when
// small enough and no bucket is set, straight into the request.
//
// UploadCode puts the function's code (main.zip) into S3 the same way,
// under PREFIX/functions/NAME/SHA256.zip, in each region's bucket or in one
// central bucket, for a deployment tool to point functions at; a Handoff
// gathers those locations and the layer version ARNs, and Emit writes them
// in the form Terraform (tfvars JSON), SAM (parameter overrides) or the CDK
// (context JSON) reads.
//
// Publish also shares versions (AddLayerVersionPermission, idempotent by
// statement ID) and Prune deletes old versions no function still uses. The
// package talks to AWS only through the LambdaAPI and S3API interfaces, so
// tests run it against in-memory fakes (package publish/fake) and against
// moto_server; retries of throttling, 5xx and dropped connections are the
// SDK retryer's, configured by NewClients to be more patient than the
// default.
package publish
