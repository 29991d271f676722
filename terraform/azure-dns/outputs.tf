output "role_definition_id" {
  description = "Resource id of the custom role."
  value       = azurerm_role_definition.failover_sync.role_definition_resource_id
}

output "assignment_scopes" {
  description = "Every scope the role is assigned at (record sets and markers, or the zone)."
  value       = sort(values(local.scopes))
}

output "adapter_read_mode" {
  description = "The `read` option the azure provider needs with these assignments."
  value       = var.scope == "zone" ? "by_type" : "get"
}
