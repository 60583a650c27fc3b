################################################################################
# Repository
################################################################################

resource "aws_ecr_repository" "this" {
  name                 = var.name
  image_tag_mutability = "IMMUTABLE"
  # DeleteRepository fails on a repository that still holds images: without this, aws-destroy and the
  # preview teardown fail once docker-delivery has pushed.
  force_delete = var.force_delete

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = var.kms_key_arn == null ? "AES256" : "KMS"
    kms_key         = var.kms_key_arn
  }

  tags = var.tags
}

################################################################################
# Lifecycle policy
################################################################################

resource "aws_ecr_lifecycle_policy" "this" {
  repository = aws_ecr_repository.this.name

  # Only untagged images expire. docker-delivery pushes every image under immutable tags, and each function
  # runs a tagged digest, so a rule that counted tagged images could expire a digest a function still runs
  # (or the one a rollback needs). Tagged images stay until deleted on purpose or with the repository.
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the last ${var.keep_last_images} untagged images"
      selection = {
        tagStatus   = "untagged"
        countType   = "imageCountMoreThan"
        countNumber = var.keep_last_images
      }
      action = { type = "expire" }
    }]
  })
}
