# An example root module: one-shot runs every 5 minutes for one Route 53 zone and one
# Cloudflare zone. `terraform init && terraform apply` after filling in the values.
terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.30"
    }
  }
}

provider "aws" {
  region = "eu-west-1" # outside us-east-1: see providers/route53/README.md on the control plane
}

variable "subnet_ids" {
  description = "Private subnets with a NAT route."
  type        = list(string)
}

variable "security_group_id" {
  description = "Security group with HTTPS egress and egress to the probed endpoints."
  type        = string
}

variable "cloudflare_token_secret_arn" {
  description = "Secrets Manager secret holding the Cloudflare API token."
  type        = string
}

module "failover_sync" {
  source = "../.."

  name                        = "failover-sync"
  image                       = "ghcr.io/example/failover-sync:0.1.0"
  config_yaml                 = file("${path.module}/failover-sync.yaml")
  mode                        = "scheduled"
  schedule_minutes            = 5
  subnet_ids                  = var.subnet_ids
  security_group_ids          = [var.security_group_id]
  hosted_zone_ids             = ["Z0123456789ABCDEFGHIJ"]
  managed_record_names        = ["app.example.com"]
  cloudflare_token_secret_arn = var.cloudflare_token_secret_arn
  tags                        = { app = "failover-sync" }
}

output "task_role_arn" {
  description = "The task role (Route 53 least privilege)."
  value       = module.failover_sync.task_role_arn
}

output "schedule_arn" {
  description = "The EventBridge Scheduler schedule."
  value       = module.failover_sync.schedule_arn
}
