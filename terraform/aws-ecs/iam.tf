data "aws_partition" "current" {}

locals {
  partition = data.aws_partition.current.partition
  zone_arns = [for id in var.hosted_zone_ids : "arn:${local.partition}:route53:::hostedzone/${id}"]
  # Each managed name has its ownership marker TXT `_failover-sync.<name>`, written in the
  # same change batch (providers/route53/README.md, least-privilege IAM policy).
  record_names_with_markers = flatten([for n in var.managed_record_names : [n, "_failover-sync.${n}"]])
  record_types_with_marker  = distinct(concat(var.record_types, ["TXT"]))
  secret_arns = compact(concat(
    [var.cloudflare_token_secret_arn],
    values(var.extra_secrets),
  ))
}

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

# The task role: exactly the least-privilege policy of providers/route53/README.md.
resource "aws_iam_role" "task" {
  name               = "${var.name}-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "route53" {
  statement {
    sid       = "WriteManagedRecordsOnly"
    effect    = "Allow"
    actions   = ["route53:ChangeResourceRecordSets"]
    resources = local.zone_arns
    condition {
      test     = "ForAllValues:StringEquals"
      variable = "route53:ChangeResourceRecordSetsNormalizedRecordNames"
      values   = local.record_names_with_markers
    }
    condition {
      test     = "ForAllValues:StringEquals"
      variable = "route53:ChangeResourceRecordSetsRecordTypes"
      values   = local.record_types_with_marker
    }
    condition {
      test     = "ForAllValues:StringEquals"
      variable = "route53:ChangeResourceRecordSetsActions"
      values   = ["CREATE", "UPSERT"]
    }
  }
  statement {
    sid       = "ReadTheZone"
    effect    = "Allow"
    actions   = ["route53:ListResourceRecordSets"]
    resources = local.zone_arns
  }
  dynamic "statement" {
    for_each = var.allow_wait_for_sync ? [1] : []
    content {
      sid       = "WaitForSync"
      effect    = "Allow"
      actions   = ["route53:GetChange"]
      resources = ["arn:${local.partition}:route53:::change/*"]
    }
  }
  dynamic "statement" {
    for_each = var.allow_find_zone_by_name ? [1] : []
    content {
      sid       = "FindZoneByName"
      effect    = "Allow"
      actions   = ["route53:ListHostedZonesByName"]
      resources = ["*"] # this action supports no resource-level restriction
    }
  }
}

resource "aws_iam_role_policy" "route53" {
  count  = length(var.hosted_zone_ids) > 0 ? 1 : 0
  name   = "route53-managed-records"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.route53.json
}

# The execution role: pull the image, write logs, read the named secrets; nothing else.
resource "aws_iam_role" "execution" {
  name               = "${var.name}-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "secrets" {
  statement {
    sid       = "ReadTaskSecrets"
    effect    = "Allow"
    actions   = ["secretsmanager:GetSecretValue", "ssm:GetParameters"]
    resources = length(local.secret_arns) > 0 ? local.secret_arns : ["arn:${local.partition}:secretsmanager:*:*:secret:none"]
  }
}

resource "aws_iam_role_policy" "secrets" {
  count  = length(local.secret_arns) > 0 ? 1 : 0
  name   = "read-task-secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.secrets.json
}
