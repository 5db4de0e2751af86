# The variables `layerkit publish --emit tfvars=layerkit.auto.tfvars.json`
# sets. Terraform loads *.auto.tfvars.json from the folder it runs in.

variable "layerkit_layers" {
  description = "Layer version ARNs from layerkit publish: region, then target (python3.12-arm64), then the target's layers in attach order."
  type        = map(map(list(string)))
}

variable "layerkit_code" {
  description = "Where layerkit publish put the function's code, by the bucket's region. The key and hash are the same in every region."
  type = map(object({
    s3_bucket         = string
    s3_key            = string
    s3_object_version = optional(string)
    source_code_hash  = string
  }))
}
