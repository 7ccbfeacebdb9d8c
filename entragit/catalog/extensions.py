"""Directory extensions (resources/extensionproperty.md): custom properties an application registers for
users, groups, applications, administrative units, devices and the organization.

Definitions are a relationship of their application (`EXTENSION_PROPERTIES`, kept in its file); values are
properties of the objects named `extension_{appId without hyphens}_{name}`
(concepts/extensibility-overview.md) that Graph v1.0 returns only when named in $select. The names a tenant
has come from the discovery action, which needs Directory.Read.All
(directoryobject-getavailableextensionproperties.md); a type takes the values of the extensions whose
targetObjects hold its `ObjectType.extension_target`.
"""

from __future__ import annotations

from entragit.catalog.model import Relationship

EXTENSION_PREFIX = "extension_"
EXTENSION_DISCOVERY = "directoryObjects/getAvailableExtensionProperties"
EXTENSION_PERMISSIONS = ("Directory.Read.All",)

# application.md: extensionProperties is a relationship Graph does not expand; read per application.
EXTENSION_PROPERTIES = Relationship(
    name="extensionProperties",
    read="applications/{id}/extensionProperties",
    add="applications/{id}/extensionProperties",
    remove="applications/{id}/extensionProperties/{ref}",
    kind="extension-property",
    item_fields=("dataType", "isMultiValued", "name", "targetObjects"),  # (key order of the file)
    targets=(),
)
