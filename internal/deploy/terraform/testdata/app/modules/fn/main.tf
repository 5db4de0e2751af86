variable "function_name" {
  type = string
}

variable "role" {
  type = string
}

variable "filename" {
  type = string
}

variable "layers" {
  type    = list(string)
  default = []
}

resource "aws_lambda_function" "this" {
  function_name    = var.function_name
  role             = var.role
  runtime          = "python3.12"
  handler          = "app.handler"
  filename         = var.filename
  source_code_hash = filebase64sha256(var.filename)
  layers           = var.layers

  environment {
    variables = {
      FUNCTION = var.function_name
    }
  }
}
