// Package serverless reads what the Serverless Framework (v3 and v4 alike)
// leaves in .serverless/ after `serverless package`: the CloudFormation
// template cloudformation-template-update-stack.json, the zips it built
// (<service>.zip, <function>.zip when packaged individually, <layer>.zip)
// and serverless-state.json.
//
// Functions, their layers and targets come from the template, which already
// holds what the framework decided (a function's own layers replacing the
// provider's, the stage's names); serverless-state.json only supplies the
// stack name, the region and function names the template leaves
// unresolved, and stands in for the template when it is absent. Code is
// found by the file name of each S3 key: the keys carry a timestamp folder
// that exists only in S3.
//
// It does not read the code itself (package source does), nor the nested
// .requirements.zip of serverless-python-requirements' zip mode.
package serverless
