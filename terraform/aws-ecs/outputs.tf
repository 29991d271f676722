output "cluster_arn" {
  description = "ECS cluster the task runs in (created or given)."
  value       = local.cluster_arn
}

output "task_definition_arn" {
  description = "ARN of the task definition (with revision)."
  value       = aws_ecs_task_definition.this.arn
}

output "task_role_arn" {
  description = "Task role with the least-privilege Route 53 policy; trust it elsewhere if needed."
  value       = aws_iam_role.task.arn
}

output "execution_role_arn" {
  description = "Execution role (image pull, logs, secrets)."
  value       = aws_iam_role.execution.arn
}

output "log_group_name" {
  description = "CloudWatch Logs group of the JSON logs."
  value       = aws_cloudwatch_log_group.this.name
}

output "schedule_arn" {
  description = "EventBridge Scheduler schedule (scheduled mode), else null."
  value       = local.service ? null : aws_scheduler_schedule.this[0].arn
}

output "service_name" {
  description = "ECS service name (service mode), else null."
  value       = local.service ? aws_ecs_service.this[0].name : null
}
