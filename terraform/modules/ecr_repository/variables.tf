variable "name" {
  description = "Name of the ECR repository."
  type        = string
}

variable "keep_last_images" {
  description = "How many images the lifecycle policy keeps; older ones expire."
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
  description = "Whether destroy may delete the repository while it still holds images."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to the repository."
  type        = map(string)
  default     = {}
}
