// Package terraform reads the JSON Terraform prints for a plan or a state
// (`terraform show -json plan.out`, `terraform show -json`) and returns
// every aws_lambda_function it declares, with its aws_lambda_layer_version
// layers, as a deploy.Project.
//
// A plan is read from planned_values (resource_changes when it has none),
// a state from values; resources in child modules are read too, and a
// function's ID is its resource address. A layer created by the same plan
// has no ARN yet: it is found through the configuration's references
// (aws_lambda_layer_version.x.arn, through module variables and module
// outputs). Code paths (filename) are read relative to the plan's folder,
// taken as the folder Terraform ran in, and never outside it; a zip the plan
// names that is not built yet is a note, not an error.
//
// It reads only what the plan says: no provider, no AWS call, no .tf file.
// Terraform's own state file (terraform.tfstate) is not this format and is
// not recognised.
package terraform
