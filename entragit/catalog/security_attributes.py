"""Catalog entries of custom security attributes: attribute sets and definitions (with their allowed values),
and the opt-in that adds their values to the files of users and service principals (`model.VALUES_OPT_IN`,
shared by the users' and the service principals' entries).

Graph v1.0 (resources/attributeset.md, customsecurityattributedefinition.md, allowedvalue.md) deletes none of
them: a definition or an allowed value is deactivated. The values (resources/user.md, serviceprincipal.md:
"Returned only on $select", read with CustomSecAttributeAssignment.Read.All, written with ...ReadWrite.All,
only by PATCH: concepts/custom-security-attributes-examples.md) gate access: they are kept only when
entragit.yaml says `custom_security_attributes: true`.
"""

from __future__ import annotations

from entragit.catalog.model import ObjectType, _names

_DEFINITION_READ = ("CustomSecAttributeDefinition.Read.All",)
_DEFINITION_WRITE = ("CustomSecAttributeDefinition.ReadWrite.All",)

ATTRIBUTE_SETS = ObjectType(
    name="attributeSets",
    path="directory/attributeSets",
    select=_names("id description maxAttributesPerSet"),
    identity=("id",),
    display="id",
    create_only=("id",),  # directory-post-attributesets.md: the set is named by the id it is created with
    unique=("id",),
    deletable=False,
    rank=12,
    permissions_backup=_DEFINITION_READ,
    permissions_restore=_DEFINITION_WRITE,
    notes="Never deleted by Graph: a restore changes description and maxAttributesPerSet.",
)

DEFINITIONS = ObjectType(
    name="customSecurityAttributeDefinitions",
    path="directory/customSecurityAttributeDefinitions",
    select=_names(
        """
        id attributeSet name description isCollection isSearchable status type usePreDefinedValuesOnly
        allowedValues
        """
    ),
    identity=("id", "attributeSet", "name"),
    display="id",
    # directory-list-customsecurityattributedefinitions.md: allowedValues "must be specified in an $expand
    # query"
    expand=("allowedValues",),
    read_only=("id",),  # `<attributeSet>_<name>`, generated
    create_only=_names("attributeSet name isCollection isSearchable type"),
    unordered=("allowedValues:id",),
    unique=("attributeSet", "name"),
    deletable=False,
    rank=13,
    # customsecurityattributedefinition-update.md takes allowedValues only as `allowedValues@delta`
    # (OData-Version 4.01); each value is written on its own path instead (allowedvalue-update.md, and a new
    # one POSTed: customsecurityattributedefinition-post-allowedvalues.md).
    write_actions=(
        ("allowedValues", "directory/customSecurityAttributeDefinitions/{id}/allowedValues/{ref}"),
    ),
    # allowedvalue.md: an allowed value "can't be renamed or deleted, but can be deactivated"
    retired_items=(("allowedValues", "isActive"),),
    permissions_backup=_DEFINITION_READ,
    permissions_restore=_DEFINITION_WRITE,
    notes="Never deleted by Graph: a deactivated one (status Deprecated) stays so after a restore; an "
    "allowed value added later stays, deactivated (isActive false).",
)
