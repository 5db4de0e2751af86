# A function that runs the code and layers layerkit published; `terraform
# apply` after each publish switches it over, and changes nothing when
# nothing was rebuilt.

variable "region" {
  type    = string
  default = "eu-west-1"
}

provider "aws" {
  region = var.region
}

locals {
  target = "python3.12-arm64"
  code   = var.layerkit_code[var.region]
}

resource "aws_lambda_function" "orders" {
  function_name     = "orders"
  role              = "arn:aws:iam::123456789012:role/orders"
  handler           = "handler.handler"
  runtime           = "python3.12"
  architectures     = ["arm64"]
  s3_bucket         = local.code.s3_bucket
  s3_key            = local.code.s3_key
  s3_object_version = local.code.s3_object_version
  source_code_hash  = local.code.source_code_hash
  layers            = var.layerkit_layers[var.region][local.target]
}
