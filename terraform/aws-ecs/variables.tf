variable "name" {
  description = "Name of every resource (cluster, task family, roles, log group, schedule)."
  type        = string
  default     = "failover-sync"
}

variable "image" {
  description = "Container image of failover-sync, e.g. ghcr.io/example/failover-sync:0.1.0 (pin a tag or digest)."
  type        = string
}

variable "config_yaml" {
  description = "The failover-sync config file's content (YAML). No secrets: tokens come from Secrets Manager."
  type        = string
}

variable "mode" {
  description = "\"scheduled\": EventBridge Scheduler runs `run --once` every schedule_minutes. \"service\": one long-running task (`run`, metrics on metrics_port)."
  type        = string
  default     = "scheduled"
  validation {
    condition     = contains(["scheduled", "service"], var.mode)
    error_message = "mode must be \"scheduled\" or \"service\"."
  }
}

variable "schedule_minutes" {
  description = "Minutes between two one-shot runs in scheduled mode (failover takes up to this long plus the detection time)."
  type        = number
  default     = 5
  validation {
    condition     = var.schedule_minutes >= 1 && floor(var.schedule_minutes) == var.schedule_minutes
    error_message = "schedule_minutes must be a whole number of at least 1."
  }
}

variable "cluster_arn" {
  description = "ECS cluster to run in; null creates one named after var.name."
  type        = string
  default     = null
}

variable "subnet_ids" {
  description = "Subnets of the task (private subnets with a NAT route to the probed endpoints and the DNS APIs)."
  type        = list(string)
}

variable "security_group_ids" {
  description = "Security groups of the task: egress to the health-checked endpoints and to the provider APIs (HTTPS)."
  type        = list(string)
}

variable "assign_public_ip" {
  description = "Give the task a public IP (only for public subnets without NAT)."
  type        = bool
  default     = false
}

variable "cpu" {
  description = "Fargate task CPU units."
  type        = number
  default     = 256
}

variable "memory" {
  description = "Fargate task memory, MiB."
  type        = number
  default     = 512
}

variable "metrics_port" {
  description = "Port of /metrics, /healthz and /readyz in service mode."
  type        = number
  default     = 9100
}

variable "hosted_zone_ids" {
  description = "Route 53 hosted zone ids (bare, Z0123...) that the task may read and write; [] when only Cloudflare is used."
  type        = list(string)
  default     = []
}

variable "managed_record_names" {
  description = "Names the task may change in those zones: lower case, no trailing dot (as Route 53 normalises them). Their ownership markers _failover-sync.<name> are added by the module."
  type        = list(string)
  default     = []
}

variable "record_types" {
  description = "Record types the task may change (TXT, for the ownership markers, is always added)."
  type        = list(string)
  default     = ["A", "AAAA", "CNAME"]
}

variable "allow_find_zone_by_name" {
  description = "Grant route53:ListHostedZonesByName (needed only for zones without hosted_zone_id in the config)."
  type        = bool
  default     = false
}

variable "allow_wait_for_sync" {
  description = "Grant route53:GetChange (needed only with wait_for_sync: true)."
  type        = bool
  default     = false
}

variable "cloudflare_token_secret_arn" {
  description = "Secrets Manager secret holding the Cloudflare API token (exposed as CLOUDFLARE_API_TOKEN); null without Cloudflare."
  type        = string
  default     = null
}

variable "extra_secrets" {
  description = "More environment variables from Secrets Manager or SSM: name => secret or parameter ARN (e.g. a webhook URL for notify url_env)."
  type        = map(string)
  default     = {}
}

variable "log_retention_days" {
  description = "CloudWatch Logs retention of the task's JSON logs."
  type        = number
  default     = 365
}

variable "kms_key_arn" {
  description = "KMS key (CMK) for the log group and the schedule; null uses AWS-owned keys."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = {}
}
