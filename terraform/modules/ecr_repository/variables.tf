variable "name" {
  description = "Name of the ECR repository."
  type        = string
}

variable "keep_last_images" {
  description = "How many untagged images the lifecycle policy keeps; older untagged ones expire (tagged images never expire)."
  type        = number
  default     = 10

  validation {
    condition     = var.keep_last_images >= 1 && floor(var.keep_last_images) == var.keep_last_images
    error_message = "keep_last_images must be a whole number of at least 1."
  }
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the images; null uses ECR's AES256 encryption."
  type        = string
  default     = null
}

variable "force_delete" {
  description = "Whether destroy deletes the repository with the images it still holds (ECR refuses to delete a non-empty repository otherwise)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to the repository."
  type        = map(string)
  default     = {}
}
