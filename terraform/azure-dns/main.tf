# The least-privilege role of providers/azure/README.md: a custom role with exactly
# Microsoft.Network/dnsZones/<type>/read and /write for the managed types and TXT (the
# ownership markers), assigned per record set (or on the zone).

data "azurerm_dns_zone" "this" {
  name                = var.zone_name
  resource_group_name = var.resource_group_name
}

locals {
  types = distinct(concat([for r in var.record_sets : upper(r.type)], ["TXT"]))
  verbs = var.allow_delete ? ["read", "write", "delete"] : ["read", "write"]
  # The ownership marker of app is _failover-sync.app; the apex's is _failover-sync.
  marker_names = distinct([for r in var.record_sets : r.name == "@" ? "_failover-sync" : "_failover-sync.${r.name}"])
  markers      = { for n in local.marker_names : "TXT/${n}" => { type = "TXT", name = n } }
  managed = {
    for r in var.record_sets : "${upper(r.type)}/${r.name}" => { type = upper(r.type), name = r.name }
  }
  record_set_scopes = {
    for key, r in merge(local.managed, local.markers) :
    key => "${data.azurerm_dns_zone.this.id}/${r.type}/${r.name}"
  }
  scopes = var.scope == "zone" ? { zone = data.azurerm_dns_zone.this.id } : local.record_set_scopes
}

resource "azurerm_role_definition" "failover_sync" {
  name        = "failover-sync record writer ${var.zone_name}"
  scope       = data.azurerm_dns_zone.this.id
  description = "Read and write the record sets failover-sync manages in ${var.zone_name} (types ${join(", ", local.types)}), nothing else."

  permissions {
    actions     = flatten([for t in local.types : [for v in local.verbs : "Microsoft.Network/dnsZones/${t}/${v}"]])
    not_actions = []
  }

  assignable_scopes = [data.azurerm_dns_zone.this.id]
}

resource "azurerm_role_assignment" "failover_sync" {
  for_each           = local.scopes
  scope              = each.value
  role_definition_id = azurerm_role_definition.failover_sync.role_definition_resource_id
  principal_id       = var.principal_id
  description        = "failover-sync: ${each.key}"
}
