# The configuration planned into plan.json (see README.md and regenerate.sh).
# Four functions for layerkit check's rules, one of them in a child module,
# two layers built into zips beside it, one layer given as an ARN, and one
# function whose zip is built at apply (not on disk after the plan).

terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

locals {
  role = "arn:aws:iam::123456789012:role/layerkit-fixture"
}

# lib/libplanted.so, built for x86_64: the wrong architecture for ArmFn.
resource "aws_lambda_layer_version" "native" {
  layer_name          = "NativeLayer"
  filename            = "layers/native.zip"
  source_code_hash    = filebase64sha256("layers/native.zip")
  compatible_runtimes = ["python3.12"]
}

# python/planted/_speedups.cpython-311-x86_64-linux-gnu.so: a CPython 3.11
# extension, used by a python3.12 function.
resource "aws_lambda_layer_version" "abi" {
  layer_name               = "AbiLayer"
  filename                 = "layers/abi.zip"
  source_code_hash         = filebase64sha256("layers/abi.zip")
  compatible_runtimes      = ["python3.12"]
  compatible_architectures = ["x86_64"]
}

resource "aws_lambda_function" "arm" {
  function_name    = "ArmFn"
  role             = local.role
  runtime          = "python3.12"
  handler          = "app.handler"
  architectures    = ["arm64"]
  filename         = "build/arm.zip"
  source_code_hash = filebase64sha256("build/arm.zip")
  layers           = [aws_lambda_layer_version.native.arn]

  environment {
    variables = {
      STAGE = "dev"
    }
  }
}

# AbiFn lives in a child module; its layer comes in through a variable.
module "abi" {
  source        = "./modules/fn"
  function_name = "AbiFn"
  role          = local.role
  filename      = "build/abi.zip"
  layers        = [aws_lambda_layer_version.abi.arn]
}

resource "aws_lambda_function" "ok" {
  function_name    = "OkFn"
  role             = local.role
  runtime          = "python3.12"
  handler          = "app.handler"
  filename         = "build/ok.zip"
  source_code_hash = filebase64sha256("build/ok.zip")
}

# The handler names missing.py, which build/nohandler.zip does not hold. Its
# layer is given as an ARN: not in this output, not checked.
resource "aws_lambda_function" "nohandler" {
  function_name    = "NoHandlerFn"
  role             = local.role
  runtime          = "python3.12"
  handler          = "missing.handler"
  filename         = "build/nohandler.zip"
  source_code_hash = filebase64sha256("build/nohandler.zip")
  layers           = ["arn:aws:lambda:us-east-1:123456789012:layer:shared-utils:7"]
}

# Built at apply time, as terraform-aws-modules/lambda builds builds/<hash>.zip:
# after the plan, the zip is not on disk.
resource "aws_lambda_function" "unbuilt" {
  for_each      = toset(["main"])
  function_name = "UnbuiltFn-${each.key}"
  role          = local.role
  runtime       = "python3.12"
  handler       = "app.handler"
  filename      = "builds/unbuilt-${each.key}.zip"
}
