"""Microsoft's own Python clients against the sandbox: azure-identity for the token, msgraph-sdk (kiota) for
Graph. A real client keeps the emulation honest where raw-HTTP tests could share the sandbox's assumptions:
its URL templates use the `graph.` cast alias, its page iterator follows @odata.nextLink, its models
deserialize by @odata.type, its errors parse Graph's error body."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import httpx
import pytest
from azure.core.pipeline.transport import RequestsTransport
from azure.identity import ClientSecretCredential
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.models.country_named_location import CountryNamedLocation
from msgraph.generated.models.ip_named_location import IpNamedLocation
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.reference_create import ReferenceCreate
from msgraph.generated.models.user import User
from msgraph.generated.users.users_request_builder import UsersRequestBuilder
from msgraph_core import GraphClientFactory, PageIterator

from entragit.sandbox.server import Sandbox

from .api_helpers import base_seed, gid, uid

T = TypeVar("T")


def _run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def _client(box: Sandbox) -> tuple[GraphServiceClient, GraphRequestAdapter]:
    """An SDK client as a user would build one for a non-public cloud: the sandbox authority and CA for
    azure-identity, the sandbox base URL and CA for the SDK's httpx client."""
    credential = ClientSecretCredential(
        box.tenant_id,
        box.client_id,
        box.client_secret,
        authority=box.authority_host,
        disable_instance_discovery=True,
        transport=RequestsTransport(connection_verify=box.ca_bundle),
    )
    auth = AzureIdentityAuthenticationProvider(
        credential, scopes=["https://graph.microsoft.com/.default"], allowed_hosts=[box.host]
    )
    http = GraphClientFactory.create_with_default_middleware(
        client=httpx.AsyncClient(verify=ssl.create_default_context(cafile=box.ca_bundle))
    )
    adapter = GraphRequestAdapter(auth, client=http)
    adapter.base_url = box.base_url
    return GraphServiceClient(request_adapter=adapter), adapter


@pytest.fixture
def sdk(sandbox_factory: Callable[..., Sandbox]) -> tuple[GraphServiceClient, GraphRequestAdapter, Sandbox]:
    box = sandbox_factory(seed=base_seed(users=30))
    client, adapter = _client(box)
    return client, adapter, box


def test_users_with_the_page_iterator(sdk: tuple[GraphServiceClient, GraphRequestAdapter, Sandbox]) -> None:
    """user-list.md paging: the SDK's PageIterator follows @odata.nextLink until every user is seen."""
    client, adapter, box = sdk
    config = RequestConfiguration(
        query_parameters=UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(top=7, select=["id"])
    )

    async def collect() -> list[str]:
        first = await client.users.get(request_configuration=config)
        assert first is not None and first.odata_next_link
        seen: list[str] = []
        pages = PageIterator(first, adapter)  # pages parse as the first page's type

        def keep(user: Any) -> bool:
            seen.append(user.id)
            return True

        await pages.iterate(keep)
        return seen

    ids = _run(collect())
    assert len(ids) == len(set(ids)) == box.tenant.user_count()


def test_delta_rounds(sdk: tuple[GraphServiceClient, GraphRequestAdapter, Sandbox]) -> None:
    """user-delta.md: pages end in a deltaLink; a change made after it shows in the next round."""
    client, _, box = sdk

    async def rounds() -> tuple[int, list[str]]:
        page = await client.users.delta.get()
        total = 0
        while page is not None and page.odata_next_link:
            total += len(page.value or [])
            page = await client.users.delta.with_url(page.odata_next_link).get()
        assert page is not None and page.odata_delta_link
        total += len(page.value or [])
        await client.users.by_user_id(uid(3)).patch(User(job_title="Delta tester"))
        later = await client.users.delta.with_url(page.odata_delta_link).get()
        assert later is not None
        return total, [u.id for u in later.value or []]

    total, changed = _run(rounds())
    assert total == box.tenant.user_count()
    assert uid(3) in changed


def test_ref_write_and_graph_user_casts(sdk: tuple[GraphServiceClient, GraphRequestAdapter, Sandbox]) -> None:
    """group-post-members.md ($ref), and the SDK's `.graph_user` builders, whose URLs use the alias cast
    (`/groups/{id}/members/graph.user`, `/directory/deletedItems/graph.user`)."""
    client, _, _ = sdk

    async def calls() -> tuple[list[str], list[str]]:
        body = ReferenceCreate(odata_id=f"https://graph.microsoft.com/v1.0/directoryObjects/{uid(9)}")
        await client.groups.by_group_id(gid(1)).members.ref.post(body)
        members = await client.groups.by_group_id(gid(1)).members.graph_user.get()
        await client.users.by_user_id(uid(8)).delete()
        deleted = await client.directory.deleted_items.graph_user.get()
        assert members is not None and deleted is not None
        return [m.id for m in members.value or []], [d.id for d in deleted.value or []]

    members, deleted = _run(calls())
    assert members == [uid(1), uid(2), uid(3), uid(9)]
    assert uid(8) in deleted


def test_polymorphic_named_locations(sandbox_factory: Callable[..., Sandbox]) -> None:
    """namedlocation-list (conditionalaccessroot-list-namedlocations.md): items deserialize to the derived
    types their @odata.type names."""
    box = sandbox_factory()  # the demo tenant has an IP and a country location
    client, _ = _client(box)
    page = _run(client.identity.conditional_access.named_locations.get())
    assert page is not None
    kinds = {type(loc) for loc in page.value or []}
    assert kinds == {IpNamedLocation, CountryNamedLocation}


def test_errors_parse_as_odata_errors(sandbox_factory: Callable[..., Sandbox]) -> None:
    """Graph's error body (resources/errors): the SDK raises ODataError with the code; a missing permission
    is Authorization_RequestDenied."""
    box = sandbox_factory(seed=base_seed(), permissions=["User.Read.All"])
    client, _ = _client(box)

    async def failures() -> list[ODataError]:
        out = []
        for call in (client.users.by_user_id("00000000-0000-4000-8000-00000000dead").get, client.groups.get):
            with pytest.raises(ODataError) as info:
                await call()
            out.append(info.value)
        return out

    missing, denied = _run(failures())
    assert missing.error is not None and missing.error.code == "Request_ResourceNotFound"
    assert missing.response_status_code == 404
    assert denied.error is not None and denied.error.code == "Authorization_RequestDenied"
    assert denied.response_status_code == 403
