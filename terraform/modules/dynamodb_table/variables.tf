variable "name" {
  description = "Name of the table."
  type        = string
}

variable "hash_key" {
  description = "Partition key attribute name."
  type        = string
}

variable "range_key" {
  description = "Sort key attribute name, or null for a hash-only table."
  type        = string
  default     = null
}

variable "attributes" {
  description = "Key attributes of the table and its indexes: name => type (S, N or B)."
  type        = map(string)

  validation {
    condition     = alltrue([for type in values(var.attributes) : contains(["S", "N", "B"], type)])
    error_message = "Every attribute type must be S, N or B."
  }
}

variable "global_secondary_indexes" {
  description = "Global secondary indexes keyed by index name."
  type = map(object({
    hash_key        = string
    range_key       = optional(string)
    projection_type = optional(string, "ALL")
  }))
  default = {}
}

variable "stream_view_type" {
  description = "Stream view type (NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES, KEYS_ONLY), or null for no stream."
  type        = string
  default     = null

  validation {
    condition     = var.stream_view_type == null || contains(["NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"], coalesce(var.stream_view_type, "none"))
    error_message = "stream_view_type must be NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES, KEYS_ONLY or null."
  }
}

variable "ttl_attribute" {
  description = "Name of the Number attribute (epoch seconds) after which DynamoDB deletes an item (TTL), or null for no TTL."
  type        = string
  default     = null
}

variable "deletion_protection_enabled" {
  description = "Whether the table refuses deletion (turn on for production data)."
  type        = bool
  default     = false
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for server-side encryption; null uses the AWS-managed key aws/dynamodb."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to the table."
  type        = map(string)
  default     = {}
}
