locals {
  create_cluster = var.cluster_arn == null
  cluster_arn    = local.create_cluster ? aws_ecs_cluster.this[0].arn : var.cluster_arn
  service        = var.mode == "service"
  config_path    = "/tmp/failover-sync.yaml"
  # Fargate has no config maps: the config travels in an environment variable and this
  # wrapper writes it to /tmp (a task volume; the root file system is read-only) before
  # exec'ing failover-sync with the task's command.
  entry_point = [
    "/bin/sh", "-c",
    "printf '%s' \"$FAILOVER_SYNC_CONFIG_YAML\" > ${local.config_path} && exec failover-sync \"$@\"",
    "failover-sync",
  ]
  command = local.service ? ["run", "--metrics-addr", "0.0.0.0:${var.metrics_port}"] : ["run", "--once"]
  secrets = merge(
    var.cloudflare_token_secret_arn == null ? {} : { CLOUDFLARE_API_TOKEN = var.cloudflare_token_secret_arn },
    var.extra_secrets,
  )
}

resource "aws_ecs_cluster" "this" {
  count = local.create_cluster ? 1 : 0
  name  = var.name
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
  tags = var.tags
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/ecs/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

data "aws_region" "current" {}

resource "aws_ecs_task_definition" "this" {
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  task_role_arn            = aws_iam_role.task.arn
  execution_role_arn       = aws_iam_role.execution.arn
  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }
  volume {
    name = "tmp"
  }
  container_definitions = jsonencode([{
    name                   = "failover-sync"
    image                  = var.image
    essential              = true
    entryPoint             = local.entry_point
    command                = local.command
    readonlyRootFilesystem = true
    user                   = "10001:10001"
    environment = [
      { name = "FAILOVER_SYNC_CONFIG", value = local.config_path },
      { name = "FAILOVER_SYNC_CONFIG_YAML", value = var.config_yaml },
      { name = "FAILOVER_SYNC_LOG_FORMAT", value = "json" },
    ]
    secrets      = [for k, v in local.secrets : { name = k, valueFrom = v }]
    mountPoints  = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
    portMappings = local.service ? [{ containerPort = var.metrics_port, protocol = "tcp" }] : []
    healthCheck = local.service ? {
      command = ["CMD", "python", "-c",
      "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${var.metrics_port}/healthz', timeout=3)"]
      interval    = 15
      timeout     = 5
      retries     = 3
      startPeriod = 60
    } : null
    stopTimeout = 60
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this.name
        awslogs-region        = data.aws_region.current.name
        awslogs-stream-prefix = "failover-sync"
      }
    }
  }])
  tags = var.tags
}

# Service variant: exactly one long-running task (two would both write). The deployment
# stops the old task before starting the new one (maximum 100 %, minimum 0 %).
resource "aws_ecs_service" "this" {
  count                              = local.service ? 1 : 0
  name                               = var.name
  cluster                            = local.cluster_arn
  task_definition                    = aws_ecs_task_definition.this.arn
  desired_count                      = 1
  launch_type                        = "FARGATE"
  deployment_maximum_percent         = 100
  deployment_minimum_healthy_percent = 0
  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = var.security_group_ids
    assign_public_ip = var.assign_public_ip
  }
  tags = var.tags
}
