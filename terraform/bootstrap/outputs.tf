output "state_bucket_name" {
  description = "Name of the Terraform state bucket."
  value       = aws_s3_bucket.this.id
}

output "state_kms_key_arn" {
  description = "ARN of the KMS key the state bucket encrypts with."
  value       = aws_kms_key.this.arn
}

output "backend_config" {
  description = "Contents of a -backend-config file for terraform/'s S3 backend (make aws-deploy adds key=books-cqrs/<ENV>/terraform.tfstate)."
  value       = <<-EOT
    bucket       = "${aws_s3_bucket.this.id}"
    region       = "${var.region}"
    encrypt      = true
    use_lockfile = true
    kms_key_id   = "${aws_kms_key.this.arn}"
  EOT
}

output "deploy_role_arn" {
  description = "ARN of the role the workflows assume (GitHub variable AWS_DEPLOY_ROLE_ARN)."
  value       = aws_iam_role.this.arn
}

output "preview_role_arn" {
  description = "ARN of the role pull_request workflows assume (GitHub variable AWS_PREVIEW_ROLE_ARN); null when allow_pull_requests is false."
  value       = var.allow_pull_requests ? aws_iam_role.pull_request[0].arn : null
}

output "github_oidc_provider_arn" {
  description = "ARN of the GitHub Actions OIDC provider the role trusts (created here or passed in)."
  value       = local.oidc_provider_arn
}

output "github_subjects" {
  description = "The token `sub` claims the deploy and preview roles accept, together."
  value       = local.github_subjects
}
