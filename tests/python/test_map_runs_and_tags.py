"""Map Runs (none exist without a distributed Map) and tags through boto3."""

import json
import uuid

from support import ARN_PREFIX, api_error, create_activity, create_machine, unique, wait_for_end


def made_up_map_run_arn():
    return f"{ARN_PREFIX}:mapRun:{unique('machine')}/Items:{uuid.uuid4()}"


def test_describe_map_run_of_an_unknown_map_run_is_resource_not_found(sfn):
    with api_error("ResourceNotFound"):
        sfn.describe_map_run(mapRunArn=made_up_map_run_arn())


def test_update_map_run_of_an_unknown_map_run_is_resource_not_found(sfn):
    with api_error("ResourceNotFound"):
        sfn.update_map_run(mapRunArn=made_up_map_run_arn(), maxConcurrency=5)


def test_list_map_runs_of_an_execution_with_only_an_inline_map_is_empty(sfn):
    machine = create_machine(sfn, {
        "Each": {"Type": "Map", "ItemsPath": "$.items",
                 "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Id",
                                   "States": {"Id": {"Type": "Pass", "End": True}}},
                 "End": True},
    })
    arn = sfn.start_execution(stateMachineArn=machine, input='{"items": [1, 2]}')["executionArn"]
    assert json.loads(wait_for_end(sfn, arn)["output"]) == [1, 2]
    listed = sfn.list_map_runs(executionArn=arn)
    assert listed["mapRuns"] == []
    assert "nextToken" not in listed


def test_list_map_runs_of_an_unknown_execution_is_execution_does_not_exist(sfn):
    with api_error("ExecutionDoesNotExist"):
        sfn.list_map_runs(executionArn=f"{ARN_PREFIX}:execution:{unique('m')}:{uuid.uuid4()}")


def tags_of(sfn, arn):
    return {t["key"]: t["value"] for t in sfn.list_tags_for_resource(resourceArn=arn)["tags"]}


def test_tags_on_a_state_machine_from_creation_tagging_and_untagging(sfn):
    name = unique("tagged")
    arn = sfn.create_state_machine(
        name=name, roleArn="arn:aws:iam::111111111111:role/baton-test",
        definition='{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}',
        tags=[{"key": "team", "value": "payments"}],
    )["stateMachineArn"]
    assert tags_of(sfn, arn) == {"team": "payments"}

    sfn.tag_resource(resourceArn=arn, tags=[{"key": "env", "value": "test"},
                                            {"key": "team", "value": "billing"}])
    assert tags_of(sfn, arn) == {"team": "billing", "env": "test"}

    sfn.untag_resource(resourceArn=arn, tagKeys=["team", "never-set"])
    assert tags_of(sfn, arn) == {"env": "test"}


def test_tags_on_an_activity(sfn):
    arn = create_activity(sfn)
    assert tags_of(sfn, arn) == {}
    sfn.tag_resource(resourceArn=arn, tags=[{"key": "owner", "value": "ops"}])
    assert tags_of(sfn, arn) == {"owner": "ops"}
    sfn.untag_resource(resourceArn=arn, tagKeys=["owner"])
    assert tags_of(sfn, arn) == {}


def test_tagging_a_resource_that_does_not_exist_is_resource_not_found(sfn):
    missing = f"{ARN_PREFIX}:stateMachine:{unique('missing')}"
    with api_error("ResourceNotFound"):
        sfn.tag_resource(resourceArn=missing, tags=[{"key": "a", "value": "b"}])
    with api_error("ResourceNotFound"):
        sfn.list_tags_for_resource(resourceArn=missing)
    with api_error("ResourceNotFound"):
        sfn.untag_resource(resourceArn=missing, tagKeys=["a"])


def test_tagging_something_that_is_not_an_arn_is_invalid_arn(sfn):
    with api_error("InvalidArn"):
        sfn.list_tags_for_resource(resourceArn="not-an-arn")
