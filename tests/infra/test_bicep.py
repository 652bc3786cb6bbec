"""Offline checks of the deployment templates: infra/*.bicep, main.parameters.json, azure.yaml.

Nothing is deployed or compiled here (there is no Bicep compiler offline): every ``.bicep`` file
is parsed with pycep-parser, so a syntax error fails, and the parsed templates are checked
against what the app expects. The app's side is read from the app's own files
(``local.settings.json.example``, the index lists in ``lib/adapters``), never restated here.

pycep turns a Bicep identifier and a string literal alike into a Python ``str``
(``location: location`` and ``kind: 'web'`` both give a ``str``); ``resolve`` evaluates the
simple expressions the checks need (parameters, ``'${...}'`` interpolation, ``string()``).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from pycep import BicepParser

from functions import bindings
from lib.adapters import indexes, tenant_store
from lib.adapters.cursor_store import SWEEPER_STATE
from lib.adapters.multipart_form import max_body_bytes
from lib.domain.idempotency import REPLAY_WINDOW
from lib.domain.quotas import WINDOW_SECONDS
from lib.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
BICEP_FILES = sorted(INFRA.rglob("*.bicep"))

# App settings the Flex Consumption plan rejects or ignores: runtime, version, content share and
# package location are properties of the site (functionAppConfig) there.
FLEX_FORBIDDEN_SETTINGS = {
    "FUNCTIONS_WORKER_RUNTIME",
    "FUNCTIONS_WORKER_RUNTIME_VERSION",
    "FUNCTIONS_EXTENSION_VERSION",
    "FUNCTIONS_MAX_HTTP_CONCURRENCY",
    "FUNCTIONS_WORKER_PROCESS_COUNT",
    "FUNCTIONS_WORKER_DYNAMIC_CONCURRENCY_ENABLED",
    "SCM_DO_BUILD_DURING_DEPLOYMENT",
    "ENABLE_ORYX_BUILD",
    "WEBSITE_RUN_FROM_PACKAGE",
    "WEBSITE_NODE_DEFAULT_VERSION",
    "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
    "WEBSITE_CONTENTSHARE",
    "WEBSITE_CONTENTOVERVNET",
    "WEBSITE_SKIP_CONTENTSHARE_VALIDATION",
    "WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT",
    "WEBSITE_VNET_ROUTE_ALL",
    "WEBSITE_DNS_SERVER",
}
# Settings of local.settings.json.example that Bicep sets differently: the runtime is a site
# property on Flex, and both storage connections are identity-based (<name>__serviceUri ...).
NOT_APP_SETTINGS = {"FUNCTIONS_WORKER_RUNTIME", "AzureWebJobsStorage", bindings.STORAGE_CONNECTION}
# Settings whose value is the real one from the deployment, not the example's local default.
SECRET_SETTINGS = {"MONGODB_URI", "GEMINI_API_KEY"}
KEY_VAULT_REFERENCE = re.compile(r"^@Microsoft\.KeyVault\(SecretUri=[^)]+\)$")


# -- reading the templates -------------------------------------------------------------------


@functools.cache
def _parse(path: Path) -> dict[str, Any]:
    return BicepParser().parse(file_path=path)


def template(name: str) -> dict[str, Any]:
    """The parsed template ``infra/<name>``."""
    return _parse(INFRA / name)


def example_settings() -> dict[str, str]:
    """The ``Values`` of local.settings.json.example: every setting the app reads."""
    values: dict[str, str] = json.loads((ROOT / "local.settings.json.example").read_text())["Values"]
    return values


def body(resource_or_module: Mapping[str, Any]) -> dict[str, Any]:
    """The declaration's object, unwrapped from ``if (...)`` and ``[for ...]``."""
    config: dict[str, Any] = resource_or_module["config"]
    while "condition" in config or "loop_type" in config:
        config = config["config"]
    return config


def resources(tpl: Mapping[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    """The template's resources of one type, by symbolic name."""
    return {name: res for name, res in tpl.get("resources", {}).items() if res["type"] == resource_type}


def the_resource(tpl: Mapping[str, Any], resource_type: str) -> dict[str, Any]:
    """The body of the template's only resource of this type."""
    (found,) = resources(tpl, resource_type).values()
    return body(found)


def module_params(module_name: str) -> dict[str, Any]:
    """What main.bicep passes to one of its modules."""
    params: dict[str, Any] = body(template("main.bicep")["modules"][module_name])["params"]
    return params


def param_defaults(tpl: Mapping[str, Any]) -> dict[str, Any]:
    return {name: p["default"] for name, p in tpl["parameters"].items() if p["default"] is not None}


def walk(node: Any) -> Iterator[Any]:
    """Every value in a parsed tree, depth first."""
    yield node
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    for child in children:
        yield from walk(child)


def dotted(node: Any) -> str | None:
    """``a.b.c`` for a parsed property access (pycep nests them), else None."""
    if isinstance(node, str):
        return node
    operator = node.get("operator", {}) if isinstance(node, dict) else {}
    if operator.get("type") != "property_accessor":
        return None
    left, right = dotted(operator["operands"]["operand_1"]), dotted(operator["operands"]["operand_2"])
    return f"{left}.{right}" if left and right else None


def resolve(value: Any, env: Mapping[str, Any]) -> str | None:
    """The string a simple expression evaluates to given ``env``; None if it is not that simple."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        if value in env:
            return resolve(env[value], {})
        text = re.sub(r"\$\{(\w+)\}", lambda m: str(env.get(m[1], m[0])), value)
        return None if "${" in text else text
    if isinstance(value, dict) and value.get("function", {}).get("type") == "string":
        return resolve(value["function"]["parameters"]["value_to_convert"], env)
    return None


def main_app_settings() -> dict[str, Any]:
    """The app settings main.bicep builds (the function app module writes them as they are)."""
    settings: dict[str, Any] = template("main.bicep")["variables"]["appSettings"]["value"]
    return settings


def storage_env() -> dict[str, Any]:
    """storage.bicep's parameters as main.bicep sets them, with main's defaults."""
    main_defaults = param_defaults(template("main.bicep"))
    return {name: resolve(value, main_defaults) for name, value in module_params("storage").items()}


def yaml_mapping(text: str) -> dict[str, Any]:
    """Nested ``key: value`` block mappings (all azure.yaml uses); anything else fails loudly."""
    root: dict[str, Any] = {}
    stack: list[tuple[int, dict[str, Any]]] = [(-1, root)]
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        key, sep, value = line.strip().partition(":")
        assert sep and re.fullmatch(r"[\w.-]+", key), f"unsupported YAML line: {line!r}"
        while indent <= stack[-1][0]:
            stack.pop()
        if value.strip():
            stack[-1][1][key] = value.strip()
        else:
            stack[-1][1][key] = child = {}
            stack.append((indent, child))
    return root


# -- every template ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", BICEP_FILES, ids=lambda p: str(p.relative_to(INFRA)))
def test_bicep_file_parses(path: Path) -> None:
    assert _parse(path)


def test_every_module_main_uses_exists() -> None:
    modules = template("main.bicep")["modules"]
    assert modules
    for module in modules.values():
        assert (INFRA / module["detail"]["path"]).is_file()


def test_secure_parameters_have_no_default_or_an_empty_one() -> None:
    secure = [
        (path.name, name, param["default"])
        for path in BICEP_FILES
        for name, param in _parse(path).get("parameters", {}).items()
        if any(d["type"] == "secure" for d in param["decorators"])
    ]
    assert secure
    for where in secure:
        assert where[2] in (None, ""), where
    assert ("main.bicep", "mongoAdminPassword", None) in secure


# -- azd conventions --------------------------------------------------------------------------


def test_main_targets_the_subscription_and_creates_the_tagged_resource_group() -> None:
    main = template("main.bicep")
    assert main["globals"]["scope"]["value"] == "subscription"
    group = the_resource(main, "Microsoft.Resources/resourceGroups")
    assert group["tags"] == "tags"
    assert main["variables"]["tags"]["value"] == {"'azd-env-name'": "environmentName"}


def test_main_has_the_azd_parameters_and_resource_token() -> None:
    main = template("main.bicep")
    assert {"environmentName", "location", "principalId"} <= main["parameters"].keys()
    token = main["variables"]["resourceToken"]["value"]["function"]
    assert token["type"] == "to_lower"
    unique = token["parameters"]["string_to_change"]["function"]
    assert unique["type"] == "unique_string"
    assert unique["parameters"]["base_string"]["operator"]["operands"]["operand_2"] == "id"
    assert [unique["parameters"]["extra_string_1"], unique["parameters"]["extra_string_2"]] == [
        "environmentName",
        "location",
    ]


def test_outputs_are_upper_case_and_name_what_azd_and_the_docs_use() -> None:
    outputs = template("main.bicep")["outputs"]
    assert all(re.fullmatch(r"[A-Z][A-Z0-9_]*", name) for name in outputs)
    assert {
        "AZURE_FUNCTION_APP_NAME",
        "AZURE_RESOURCE_GROUP",
        "AZURE_STORAGE_BLOB_ENDPOINT",
        "AZURE_STORAGE_QUEUE_ENDPOINT",
        "AZURE_KEY_VAULT_NAME",
        "APPLICATIONINSIGHTS_NAME",
    } <= outputs.keys()


def test_parameters_file_feeds_main_with_azd_environment_values() -> None:
    params = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    main_params = template("main.bicep")["parameters"]
    assert params.keys() <= main_params.keys()
    required = {name for name, p in main_params.items() if p["default"] is None}
    assert required <= params.keys()
    assert params["environmentName"]["value"] == "${AZURE_ENV_NAME}"
    assert params["location"]["value"] == "${AZURE_LOCATION}"
    assert params["principalId"]["value"] == "${AZURE_PRINCIPAL_ID}"
    for name, entry in params.items():
        fallback = re.fullmatch(r"\$\{\w+=(.*)\}", entry["value"])
        if fallback:  # ${VAR=default} must not contradict the Bicep default
            assert fallback[1] == main_params[name]["default"], name


def test_azure_yaml_declares_the_function_service_api() -> None:
    project = yaml_mapping((ROOT / "azure.yaml").read_text())
    assert project["services"]["api"] == {"project": ".", "language": "python", "host": "function"}


def test_function_app_carries_the_azd_service_tag() -> None:
    app = the_resource(template("modules/function-app.bicep"), "Microsoft.Web/sites")
    assert {"'azd-service-name'": "api"} in list(walk(app["tags"]))


# -- the function app ---------------------------------------------------------------------------


def test_function_app_runs_python_311_on_flex_consumption() -> None:
    module = template("modules/function-app.bicep")
    plan = the_resource(module, "Microsoft.Web/serverfarms")
    assert plan["sku"] == {"tier": "FlexConsumption", "name": "FC1"}

    config = the_resource(module, "Microsoft.Web/sites")["properties"]["functionAppConfig"]
    assert config["runtime"] == {"name": "python", "version": "3.11"}
    assert config["scaleAndConcurrency"] == {
        "maximumInstanceCount": "maximumInstanceCount",
        "instanceMemoryMB": "instanceMemoryMB",
        "triggers": {"http": {"perInstanceConcurrency": "httpPerInstanceConcurrency"}},
    }
    storage = config["deployment"]["storage"]
    assert storage["type"] == "blobContainer"
    assert storage["authentication"] == {
        "type": "UserAssignedIdentity",
        "userAssignedIdentityResourceId": "identityId",
    }
    passed = module_params("functionApp")
    main_params = template("main.bicep")["parameters"]
    for knob in ("maximumInstanceCount", "instanceMemoryMB", "httpPerInstanceConcurrency"):
        assert passed[knob] == knob and knob in main_params


def test_app_settings_are_written_as_built_and_nowhere_else() -> None:
    module = template("modules/function-app.bicep")
    settings = the_resource(module, "Microsoft.Web/sites/config")
    assert settings["name"] == "appsettings"
    assert settings["properties"] == "appSettings"
    assert module_params("functionApp")["appSettings"] == "appSettings"
    site_config = the_resource(module, "Microsoft.Web/sites")["properties"].get("siteConfig", {})
    assert "appSettings" not in site_config


def test_no_app_setting_is_one_flex_consumption_rejects() -> None:
    names = main_app_settings().keys()
    assert not names & FLEX_FORBIDDEN_SETTINGS
    assert "AzureWebJobsStorage" not in names  # only its identity-based AzureWebJobsStorage__* form


def test_app_settings_cover_every_setting_the_app_reads() -> None:
    missing = example_settings().keys() - NOT_APP_SETTINGS - main_app_settings().keys()
    assert not missing


def test_app_settings_default_to_the_example_values() -> None:
    defaults = param_defaults(template("main.bicep"))
    settings = main_app_settings()
    for name, example in example_settings().items():
        if name in NOT_APP_SETTINGS | SECRET_SETTINGS:
            continue
        assert resolve(settings[name], defaults) == example, name


def test_the_hosts_body_limit_is_the_largest_upload_plus_its_multipart_framing() -> None:
    settings = main_app_settings()
    limits = Settings.from_env({**example_settings(), "MONGODB_URI": "mongodb://x"}).upload_limits
    assert int(settings["FUNCTIONS_REQUEST_BODY_SIZE_LIMIT"]) == max_body_bytes(limits)
    assert int(settings["MAX_UPLOAD_MB"]) * 1024 * 1024 == limits.max_upload_bytes


def test_storage_connections_are_identity_based() -> None:
    settings = main_app_settings()
    for connection in ("AzureWebJobsStorage", bindings.STORAGE_CONNECTION):
        assert settings[f"{connection}__credential"] == "managedidentity"
        assert dotted(settings[f"{connection}__clientId"]) == "identity.outputs.clientId"
        assert dotted(settings[f"{connection}__blobServiceUri"]) == "storage.outputs.blobEndpoint"
        assert dotted(settings[f"{connection}__queueServiceUri"]) == "storage.outputs.queueEndpoint"
    assert dotted(settings["AzureWebJobsStorage__tableServiceUri"]) == "storage.outputs.tableEndpoint"


def test_secrets_reach_the_app_only_as_key_vault_references() -> None:
    settings = main_app_settings()
    for name in SECRET_SETTINGS:
        assert KEY_VAULT_REFERENCE.match(settings[name]), name
    main = template("main.bicep")
    secure_params = {
        name for name, p in main["parameters"].items() if any(d["type"] == "secure" for d in p["decorators"])
    }
    for value in walk(settings):
        if isinstance(value, str):
            assert not any(re.search(rf"\b{p}\b", value) for p in secure_params), value
            assert not re.search(r"\blist\w*\(", value), value
    app = the_resource(template("modules/function-app.bicep"), "Microsoft.Web/sites")
    assert app["properties"]["keyVaultReferenceIdentity"] == "identityId"
    assert app["identity"] == {"type": "UserAssigned", "userAssignedIdentities": {"'${identityId}'": {}}}


def test_application_insights_takes_entra_authenticated_telemetry_only() -> None:
    component = the_resource(template("modules/monitoring.bicep"), "Microsoft.Insights/components")
    assert component["properties"]["DisableLocalAuth"] is True
    settings = main_app_settings()
    assert settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] == (
        "ClientId=${identity.outputs.clientId};Authorization=AAD"
    )
    assert "APPLICATIONINSIGHTS_CONNECTION_STRING" in settings


# -- storage --------------------------------------------------------------------------------------


def test_storage_account_accepts_entra_id_only() -> None:
    module = template("modules/storage.bicep")
    props = the_resource(module, "Microsoft.Storage/storageAccounts")["properties"]
    assert props["allowSharedKeyAccess"] is False
    assert props["allowBlobPublicAccess"] is False
    assert props["minimumTlsVersion"] == "TLS1_2"
    assert props["supportsHttpsTrafficOnly"] is True
    containers = resources(module, "Microsoft.Storage/storageAccounts/blobServices/containers")
    assert containers
    assert all(body(c)["properties"]["publicAccess"] == "None" for c in containers.values())


def test_queues_and_report_container_are_the_ones_the_app_uses() -> None:
    module = template("modules/storage.bicep")
    env = storage_env()
    queues = {
        resolve(body(q)["name"], env)
        for q in resources(module, "Microsoft.Storage/storageAccounts/queueServices/queues").values()
    }
    example = example_settings()
    poison = bindings.PARSE_POISON_QUEUE.removeprefix(bindings.PARSE_QUEUE)  # "-poison"
    expected = {example["PARSE_QUEUE_NAME"], example["WEBHOOK_QUEUE_NAME"]}
    assert queues == expected | {name + poison for name in expected}

    containers = {
        resolve(body(c)["name"], env)
        for c in resources(module, "Microsoft.Storage/storageAccounts/blobServices/containers").values()
    }
    assert example["AZURE_CONTAINER_NAME"] in containers


def test_report_blobs_expire_after_the_retention_period() -> None:
    module = template("modules/storage.bicep")
    policy = the_resource(module, "Microsoft.Storage/storageAccounts/managementPolicies")
    (rule,) = policy["properties"]["policy"]["rules"]
    env = storage_env()
    assert [resolve(p, env) for p in rule["definition"]["filters"]["prefixMatch"]] == [
        example_settings()["AZURE_CONTAINER_NAME"] + "/"
    ]
    delete = rule["definition"]["actions"]["baseBlob"]["delete"]
    assert delete["daysAfterModificationGreaterThan"] == "reportRetentionDays"
    assert module_params("storage")["reportRetentionDays"] == "reportRetentionDays"
    assert isinstance(param_defaults(template("main.bicep"))["reportRetentionDays"], int)


# -- database -------------------------------------------------------------------------------------


def test_cosmos_mode_chooses_serverless_ru_or_vcore() -> None:
    main = template("main.bicep")
    (allowed,) = (
        d["argument"] for d in main["parameters"]["cosmosMode"]["decorators"] if d["type"] == "allowed"
    )
    assert allowed == ["serverless", "vcore"]
    for module, mode in (("mongoRu", "serverless"), ("mongoVcore", "vcore")):
        condition = main["modules"][module]["config"]["condition"]["operator"]
        assert condition == {"type": "equals", "operands": {"operand_1": "cosmosMode", "operand_2": mode}}
    assert the_resource(template("modules/cosmos-vcore.bicep"), "Microsoft.DocumentDB/mongoClusters")
    assert module_params("mongoVcore")["adminPassword"] == "mongoAdminPassword"


def test_ru_account_is_serverless_mongodb_with_server_side_retry() -> None:
    account = the_resource(template("modules/cosmos-ru.bicep"), "Microsoft.DocumentDB/databaseAccounts")
    assert account["kind"] == "MongoDB"
    capabilities = {c["name"] for c in account["properties"]["capabilities"]}
    assert {"EnableMongo", "EnableServerless", "DisableRateLimitingResponses"} <= capabilities
    assert account["properties"]["apiProperties"]["serverVersion"] == "serverVersion"
    assert module_params("mongoRu")["serverVersion"] == "mongoServerVersion"
    assert param_defaults(template("main.bicep"))["mongoServerVersion"] == "7.0"


def test_database_is_the_one_the_app_uses() -> None:
    database = resolve(module_params("mongoRu")["databaseName"], param_defaults(template("main.bicep")))
    assert database == example_settings()["MONGODB_DATABASE"]
    assert module_params("mongoRu")["databaseName"] == main_app_settings()["MONGODB_DATABASE"]


def test_ru_declares_the_app_collections_and_indexes() -> None:
    declared = {
        spec["name"]: {
            (tuple(index["key"]["keys"]), bool(index.get("options", {}).get("unique")))
            for index in spec["indexes"]
            if index["key"]["keys"] not in (["_id"], ["_ts"])
        }
        for spec in template("modules/cosmos-ru.bicep")["variables"]["collections"]["value"]
    }
    wanted: dict[str, set[tuple[tuple[str, ...], bool]]] = {
        tenant_store.AI_MODELS: set(),
        SWEEPER_STATE: set(),
        indexes.TENANT_LIMITS: set(),
    }
    plans = (indexes.JOB_INDEXES, tenant_store._INDEXES, indexes.IDEMPOTENCY_INDEXES, indexes.QUOTA_INDEXES)
    for plan in plans:
        for collection, planned in plan.items():
            # ARM has neither index names nor directions: compare key lists and uniqueness. TTL
            # indexes on expires_at become _ts ones on RU (checked below).
            wanted.setdefault(collection, set()).update(
                (tuple(field for field, _ in keys), bool(options.get("unique")))
                for _, keys, options in planned
                if "expireAfterSeconds" not in options
            )
    assert declared == wanted
    assert (("tenant_id", "project_id"), True) in declared[tenant_store.PROJECTS]


def test_ru_expires_idempotency_records_and_upload_counters_through_ts() -> None:
    ttl = {
        spec["name"]: index["options"]["expireAfterSeconds"]
        for spec in template("modules/cosmos-ru.bicep")["variables"]["collections"]["value"]
        for index in spec["indexes"]
        if index["key"]["keys"] == ["_ts"]
    }
    assert ttl[indexes.IDEMPOTENCY_KEYS] == REPLAY_WINDOW.total_seconds()
    assert ttl[indexes.QUOTA_WINDOWS] > WINDOW_SECONDS


def test_mongodb_uri_secret_of_the_ru_account_disables_retryable_writes() -> None:
    secret = the_resource(template("modules/cosmos-ru.bicep"), "Microsoft.KeyVault/vaults/secrets")
    assert "retrywrites=false" in secret["properties"]["value"]
    for module in ("mongoRu", "mongoVcore"):
        assert module_params(module)["mongoUriSecretName"] == "mongoUriSecretName"
    assert "secrets/${mongoUriSecretName}" in main_app_settings()["MONGODB_URI"]


# -- Key Vault ------------------------------------------------------------------------------------


def test_key_vault_uses_rbac_soft_delete_and_purge_protection() -> None:
    vault = the_resource(template("modules/keyvault.bicep"), "Microsoft.KeyVault/vaults")["properties"]
    assert vault["enableRbacAuthorization"] is True
    assert vault["enableSoftDelete"] is True
    assert vault["enablePurgeProtection"] is True


def test_gemini_key_placeholder_reads_as_unset_to_the_app() -> None:
    module = template("modules/keyvault.bicep")
    placeholder = module["variables"]["geminiApiKeyPlaceholder"]["value"]
    settings = Settings.from_env({**example_settings(), "GEMINI_API_KEY": placeholder, "PARSER": "auto"})
    assert settings.use_gemini is False


# -- role assignments -------------------------------------------------------------------------------


def test_role_assignments_go_to_the_app_identity_or_the_deploying_user_only() -> None:
    rbac = template("modules/rbac.bicep")
    assignments = resources(rbac, "Microsoft.Authorization/roleAssignments")
    scopes = {name for name, res in rbac["resources"].items() if res["existing"]}
    granted: dict[str, set[tuple[str, str]]] = {"appPrincipalId": set(), "userPrincipalId": set()}
    for name, assignment in assignments.items():
        props, scope = body(assignment)["properties"], body(assignment)["scope"]
        principal = props["principalId"]
        assert principal in granted, name
        assert scope in scopes, name  # the resource itself, never the group or subscription
        if principal == "appPrincipalId":
            assert props["principalType"] == "ServicePrincipal", name
        else:
            assert assignment["config"]["condition"] == "withUser", name
            assert props["principalType"] == "userPrincipalType", name
        role = dotted(props["roleDefinitionId"]["function"]["parameters"]["resource_name_1"])
        assert role and role.startswith("roles."), name
        granted[principal].add((role.removeprefix("roles."), scope))

    assert granted["appPrincipalId"] == {
        ("storageBlobDataOwner", "storage"),
        ("storageQueueDataContributor", "storage"),
        ("storageTableDataContributor", "storage"),
        ("monitoringMetricsPublisher", "appInsights"),
        ("keyVaultSecretsUser", "vault"),
    }
    data_roles = {(role, scope) for role, scope in granted["appPrincipalId"] if scope == "storage"}
    assert data_roles <= granted["userPrincipalId"]
    with_user = rbac["variables"]["withUser"]["value"]["operator"]
    assert with_user["type"] == "not"
    assert with_user["operands"]["bool_value"] == {
        "function": {"type": "empty", "parameters": {"item_to_test": "userPrincipalId"}}
    }

    passed = module_params("rbac")
    assert dotted(passed["appPrincipalId"]) == "identity.outputs.principalId"
    assert passed["userPrincipalId"] == "principalId"


def test_role_assignments_are_made_in_the_rbac_module_only() -> None:
    for path in BICEP_FILES:
        if path.name != "rbac.bicep":
            assert not resources(_parse(path), "Microsoft.Authorization/roleAssignments"), path


def test_an_availability_test_calls_the_health_route_and_alerts() -> None:
    # Flex Consumption has no platform health check (siteConfig.healthCheckPath is for Premium and
    # Dedicated plans): an Application Insights standard test calls GET /api/health instead.
    host = json.dumps(module_params("availability")["hostName"])
    assert "functionApp" in host and "defaultHostName" in host
    module = template("modules/availability.bicep")
    webtest = the_resource(module, "Microsoft.Insights/webtests")
    request = webtest["properties"]["Request"]
    assert request["HttpVerb"] == "GET" and str(request["RequestUrl"]).endswith("/api/health")
    assert webtest["properties"]["ValidationRules"]["ExpectedHttpStatusCode"] == 200
    alert = the_resource(module, "Microsoft.Insights/metricAlerts")
    assert alert["properties"]["criteria"]["failedLocationCount"] == 2
    site = json.dumps(template("modules/function-app.bicep"))
    assert "healthCheckPath" not in site


def test_the_example_lists_every_setting_the_app_reads() -> None:
    # The deployed ones are checked against the example above; identity-based storage settings are
    # written from the deployment's outputs instead.
    aliases = {field.alias for field in Settings.model_fields.values() if field.alias}
    identity_based = {alias for alias in aliases if "__" in alias}
    assert aliases - identity_based - example_settings().keys() == set()
