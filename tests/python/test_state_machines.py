"""State machines, their versions and aliases through boto3: create, describe, update, delete,
list, validate, publish."""

import datetime

from support import (ACCOUNT, ARN_PREFIX, MISSING_TARGET_DEFINITION, PASS_DEFINITION,
                     ROLE_ARN, api_error, create_machine, definition, unique, wait_until)

V1 = definition({"Answer": {"Type": "Pass", "Result": "v1", "End": True}})
V2 = definition({"Answer": {"Type": "Pass", "Result": "v2", "End": True}})
V3 = definition({"Answer": {"Type": "Pass", "Result": "v3", "End": True}})


def list_all(call, key, **kwargs):
    """Every item of a paginated list operation, one page of `maxResults=1` at a time."""
    items, token = [], None
    while True:
        page = call(maxResults=1, **kwargs, **({"nextToken": token} if token else {}))
        assert len(page[key]) <= 1, page
        items.extend(page[key])
        token = page.get("nextToken")
        if not token:
            return items


def test_create_returns_the_arn_in_the_callers_account_and_describe_returns_what_was_created(sfn):
    name = unique("described")
    created = sfn.create_state_machine(name=name, definition=PASS_DEFINITION, roleArn=ROLE_ARN)
    assert created["stateMachineArn"] == f"{ARN_PREFIX}:stateMachine:{name}"
    assert isinstance(created["creationDate"], datetime.datetime)
    assert "stateMachineVersionArn" not in created

    described = sfn.describe_state_machine(stateMachineArn=created["stateMachineArn"])
    assert described["stateMachineArn"] == created["stateMachineArn"]
    assert described["name"] == name
    assert described["status"] == "ACTIVE"
    assert described["type"] == "STANDARD"
    assert described["definition"] == PASS_DEFINITION
    assert described["roleArn"] == ROLE_ARN
    assert described["creationDate"] == created["creationDate"]
    assert described["loggingConfiguration"]["level"] == "OFF"
    assert described["tracingConfiguration"] == {"enabled": False}


def test_create_with_the_same_name_definition_and_role_is_idempotent(sfn):
    name = unique("idempotent")
    first = sfn.create_state_machine(name=name, definition=PASS_DEFINITION, roleArn=ROLE_ARN)
    second = sfn.create_state_machine(name=name, definition=PASS_DEFINITION, roleArn=ROLE_ARN)
    assert second["stateMachineArn"] == first["stateMachineArn"]
    assert second["creationDate"] == first["creationDate"]


def test_create_with_the_same_name_and_another_definition_is_state_machine_already_exists(sfn):
    name = unique("taken")
    create_machine(sfn, V1, name=name)
    with api_error("StateMachineAlreadyExists"):
        sfn.create_state_machine(name=name, definition=V2, roleArn=ROLE_ARN)


def test_express_machine_is_described_as_express(sfn):
    arn = create_machine(sfn, PASS_DEFINITION, machine_type="EXPRESS")
    assert sfn.describe_state_machine(stateMachineArn=arn)["type"] == "EXPRESS"


def test_create_with_publish_returns_version_1(sfn):
    created = sfn.create_state_machine(name=unique("published"), definition=V1,
                                       roleArn=ROLE_ARN, publish=True,
                                       versionDescription="initial")
    version = created["stateMachineVersionArn"]
    assert version == created["stateMachineArn"] + ":1"
    described = sfn.describe_state_machine(stateMachineArn=version)
    assert described["definition"] == V1
    assert described["description"] == "initial"


def test_update_changes_the_definition_and_role_and_returns_a_new_revision(sfn):
    arn = create_machine(sfn, V1)
    before = sfn.describe_state_machine(stateMachineArn=arn)
    new_role = f"arn:aws:iam::{ACCOUNT}:role/baton-other"
    updated = sfn.update_state_machine(stateMachineArn=arn, definition=V2, roleArn=new_role)
    assert isinstance(updated["updateDate"], datetime.datetime)
    assert updated["revisionId"]
    assert updated["revisionId"] != before.get("revisionId")
    assert "stateMachineVersionArn" not in updated

    after = sfn.describe_state_machine(stateMachineArn=arn)
    assert after["definition"] == V2
    assert after["roleArn"] == new_role
    assert after["revisionId"] == updated["revisionId"]
    assert after["creationDate"] == before["creationDate"]


def test_update_with_publish_returns_the_new_version(sfn):
    arn = create_machine(sfn, V1)
    updated = sfn.update_state_machine(stateMachineArn=arn, definition=V2, publish=True,
                                       versionDescription="second definition")
    assert updated["stateMachineVersionArn"] == arn + ":1"
    version = sfn.describe_state_machine(stateMachineArn=updated["stateMachineVersionArn"])
    assert version["definition"] == V2
    assert version["description"] == "second definition"


def test_update_with_an_invalid_definition_changes_nothing(sfn):
    arn = create_machine(sfn, V1)
    with api_error("InvalidDefinition"):
        sfn.update_state_machine(stateMachineArn=arn, definition='{"StartAt": "Missing"}')
    assert sfn.describe_state_machine(stateMachineArn=arn)["definition"] == V1


def test_delete_removes_the_machine_from_describe_and_list(sfn):
    arn = create_machine(sfn, PASS_DEFINITION)
    assert sfn.delete_state_machine(stateMachineArn=arn)["ResponseMetadata"][
        "HTTPStatusCode"] == 200

    def gone():
        try:
            described = sfn.describe_state_machine(stateMachineArn=arn)
        except sfn.exceptions.StateMachineDoesNotExist:
            return True
        assert described["status"] == "DELETING", described
        return False

    wait_until(gone, timeout=5, what="the deleted machine to disappear")
    listed = [m["stateMachineArn"] for m in list_all(sfn.list_state_machines, "stateMachines")]
    assert arn not in listed


def test_list_state_machines_pages_through_every_machine_of_the_account_only(sfn, client_factory):
    mine = {create_machine(sfn, PASS_DEFINITION, name=unique("listed")) for _ in range(3)}
    other_account = client_factory("222222222222")
    theirs = create_machine(other_account, PASS_DEFINITION)
    assert theirs.startswith("arn:aws:states:us-east-1:222222222222:stateMachine:")

    listed = list_all(sfn.list_state_machines, "stateMachines")
    arns = [m["stateMachineArn"] for m in listed]
    assert len(arns) == len(set(arns)), "a machine was listed twice"
    assert mine <= set(arns)
    assert theirs not in arns
    for item in listed:
        assert set(item) >= {"stateMachineArn", "name", "type", "creationDate"}, item
        assert item["stateMachineArn"].endswith(":stateMachine:" + item["name"])


def test_validate_accepts_a_valid_definition(sfn):
    result = sfn.validate_state_machine_definition(definition=PASS_DEFINITION)
    assert result["result"] == "OK"
    assert result["diagnostics"] == []


def test_validate_reports_a_missing_transition_target(sfn):
    result = sfn.validate_state_machine_definition(definition=MISSING_TARGET_DEFINITION,
                                                   type="STANDARD")
    assert result["result"] == "FAIL"
    codes = [d["code"] for d in result["diagnostics"]]
    assert codes == ["MISSING_TRANSITION_TARGET"], result["diagnostics"]
    diagnostic = result["diagnostics"][0]
    assert diagnostic["severity"] == "ERROR"
    assert "Nowhere" in diagnostic["message"]
    # Where the problem is: the Choice rule's Next (AWS's form for array indexes is not
    # recorded, so only the ends are checked).
    assert diagnostic["location"].startswith("/States/Route/Choices")
    assert diagnostic["location"].endswith("Next")


def test_validate_reports_malformed_json(sfn):
    result = sfn.validate_state_machine_definition(definition='{"StartAt": ')
    assert result["result"] == "FAIL"
    assert [d["code"] for d in result["diagnostics"]] == ["INVALID_JSON_DESCRIPTION"]


def test_publish_is_idempotent_per_revision_and_numbers_versions_from_1(sfn):
    arn = create_machine(sfn, V1)
    first = sfn.publish_state_machine_version(stateMachineArn=arn, description="one")
    assert first["stateMachineVersionArn"] == arn + ":1"
    assert isinstance(first["creationDate"], datetime.datetime)
    again = sfn.publish_state_machine_version(stateMachineArn=arn)
    assert again["stateMachineVersionArn"] == arn + ":1"

    sfn.update_state_machine(stateMachineArn=arn, definition=V2)
    second = sfn.publish_state_machine_version(stateMachineArn=arn, description="two")
    assert second["stateMachineVersionArn"] == arn + ":2"

    one = sfn.describe_state_machine(stateMachineArn=arn + ":1")
    assert one["stateMachineArn"] == arn + ":1"
    assert one["definition"] == V1
    assert one["description"] == "one"
    assert sfn.describe_state_machine(stateMachineArn=arn + ":2")["definition"] == V2
    assert sfn.describe_state_machine(stateMachineArn=arn)["definition"] == V2


def test_publish_with_a_stale_revision_id_is_a_conflict(sfn):
    arn = create_machine(sfn, V1)
    stale = sfn.update_state_machine(stateMachineArn=arn, definition=V2)["revisionId"]
    current = sfn.update_state_machine(stateMachineArn=arn, definition=V3)["revisionId"]
    with api_error("ConflictException"):
        sfn.publish_state_machine_version(stateMachineArn=arn, revisionId=stale)
    published = sfn.publish_state_machine_version(stateMachineArn=arn, revisionId=current)
    assert published["stateMachineVersionArn"] == arn + ":1"


def test_list_versions_newest_first_and_delete_a_version(sfn):
    arn = create_machine(sfn, V1)
    v1 = sfn.publish_state_machine_version(stateMachineArn=arn)["stateMachineVersionArn"]
    sfn.update_state_machine(stateMachineArn=arn, definition=V2)
    v2 = sfn.publish_state_machine_version(stateMachineArn=arn)["stateMachineVersionArn"]
    sfn.update_state_machine(stateMachineArn=arn, definition=V3)
    v3 = sfn.publish_state_machine_version(stateMachineArn=arn)["stateMachineVersionArn"]

    listed = sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
    assert [v["stateMachineVersionArn"] for v in listed] == [v3, v2, v1]
    assert all(isinstance(v["creationDate"], datetime.datetime) for v in listed)
    paged = list_all(sfn.list_state_machine_versions, "stateMachineVersions",
                     stateMachineArn=arn)
    assert [v["stateMachineVersionArn"] for v in paged] == [v3, v2, v1]

    sfn.delete_state_machine_version(stateMachineVersionArn=v2)
    listed = sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
    assert [v["stateMachineVersionArn"] for v in listed] == [v3, v1]
    with api_error("StateMachineDoesNotExist"):
        sfn.describe_state_machine(stateMachineArn=v2)


def test_alias_lifecycle_create_describe_update_list_delete(sfn):
    arn = create_machine(sfn, V1)
    v1 = sfn.publish_state_machine_version(stateMachineArn=arn)["stateMachineVersionArn"]
    sfn.update_state_machine(stateMachineArn=arn, definition=V2)
    v2 = sfn.publish_state_machine_version(stateMachineArn=arn)["stateMachineVersionArn"]

    created = sfn.create_state_machine_alias(
        name="prod", description="production traffic",
        routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 100}])
    alias = created["stateMachineAliasArn"]
    assert alias == arn + ":prod"
    assert isinstance(created["creationDate"], datetime.datetime)

    described = sfn.describe_state_machine_alias(stateMachineAliasArn=alias)
    assert described["stateMachineAliasArn"] == alias
    assert described["name"] == "prod"
    assert described["description"] == "production traffic"
    assert described["routingConfiguration"] == [{"stateMachineVersionArn": v1, "weight": 100}]
    assert described["creationDate"] == created["creationDate"]

    routing = [{"stateMachineVersionArn": v2, "weight": 80},
               {"stateMachineVersionArn": v1, "weight": 20}]
    updated = sfn.update_state_machine_alias(stateMachineAliasArn=alias,
                                             routingConfiguration=routing,
                                             description="canary")
    assert isinstance(updated["updateDate"], datetime.datetime)
    described = sfn.describe_state_machine_alias(stateMachineAliasArn=alias)
    assert sorted(described["routingConfiguration"], key=lambda r: -r["weight"]) == routing
    assert described["description"] == "canary"

    staging = sfn.create_state_machine_alias(
        name="staging",
        routingConfiguration=[{"stateMachineVersionArn": v2, "weight": 100}],
    )["stateMachineAliasArn"]
    listed = sfn.list_state_machine_aliases(stateMachineArn=arn)["stateMachineAliases"]
    assert sorted(a["stateMachineAliasArn"] for a in listed) == sorted([alias, staging])
    assert all(isinstance(a["creationDate"], datetime.datetime) for a in listed)

    sfn.delete_state_machine_alias(stateMachineAliasArn=staging)
    with api_error("ResourceNotFound"):
        sfn.describe_state_machine_alias(stateMachineAliasArn=staging)
    listed = sfn.list_state_machine_aliases(stateMachineArn=arn)["stateMachineAliases"]
    assert [a["stateMachineAliasArn"] for a in listed] == [alias]


def test_creating_an_alias_again_with_the_same_routing_is_idempotent(sfn):
    arn = create_machine(sfn, V1)
    v1 = sfn.publish_state_machine_version(stateMachineArn=arn)["stateMachineVersionArn"]
    routing = [{"stateMachineVersionArn": v1, "weight": 100}]
    first = sfn.create_state_machine_alias(name="live", routingConfiguration=routing)
    second = sfn.create_state_machine_alias(name="live", routingConfiguration=routing)
    assert second["stateMachineAliasArn"] == first["stateMachineAliasArn"]
    assert second["creationDate"] == first["creationDate"]


def test_alias_routing_to_a_version_of_another_machine_is_rejected(sfn):
    mine = create_machine(sfn, V1)
    own = sfn.publish_state_machine_version(stateMachineArn=mine)["stateMachineVersionArn"]
    other = create_machine(sfn, V2)
    foreign = sfn.publish_state_machine_version(stateMachineArn=other)["stateMachineVersionArn"]
    with api_error("ValidationException"):
        sfn.create_state_machine_alias(
            name="mixed",
            routingConfiguration=[{"stateMachineVersionArn": own, "weight": 50},
                                  {"stateMachineVersionArn": foreign, "weight": 50}])


def test_alias_weights_must_add_up_to_100(sfn):
    arn = create_machine(sfn, V1)
    v1 = sfn.publish_state_machine_version(stateMachineArn=arn)["stateMachineVersionArn"]
    sfn.update_state_machine(stateMachineArn=arn, definition=V2)
    v2 = sfn.publish_state_machine_version(stateMachineArn=arn)["stateMachineVersionArn"]
    with api_error("ValidationException"):
        sfn.create_state_machine_alias(
            name="lopsided",
            routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 50},
                                  {"stateMachineVersionArn": v2, "weight": 30}])


def test_deleting_a_version_an_alias_routes_to_is_a_conflict(sfn):
    arn = create_machine(sfn, V1)
    v1 = sfn.publish_state_machine_version(stateMachineArn=arn)["stateMachineVersionArn"]
    alias = sfn.create_state_machine_alias(
        name="pinned", routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 100}],
    )["stateMachineAliasArn"]
    with api_error("ConflictException"):
        sfn.delete_state_machine_version(stateMachineVersionArn=v1)
    assert sfn.describe_state_machine(stateMachineArn=v1)["definition"] == V1

    sfn.delete_state_machine_alias(stateMachineAliasArn=alias)
    sfn.delete_state_machine_version(stateMachineVersionArn=v1)
    with api_error("StateMachineDoesNotExist"):
        sfn.describe_state_machine(stateMachineArn=v1)
