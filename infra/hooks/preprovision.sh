#!/bin/sh
# Before provisioning: RINGMASTER_WIRE_EVENTS (set by postdeploy once the functions answered) makes main.bicep create
# the Event Grid subscriptions, which need the functions to exist. After `azd down` the flag is still in the
# environment but the app is gone, and provisioning would fail ("Destination endpoint not found"): turn it off
# until postdeploy has wired a deployed app again.
set -eu

if [ "${RINGMASTER_WIRE_EVENTS:-false}" != "true" ]; then exit 0; fi
if [ -n "${RINGMASTER_FUNCTION_APP:-}" ] && [ -n "${AZURE_RESOURCE_GROUP:-}" ] &&
  az functionapp show --resource-group "$AZURE_RESOURCE_GROUP" --name "$RINGMASTER_FUNCTION_APP" --query name --output tsv >/dev/null 2>&1; then
  exit 0
fi
echo "ringmaster: ${RINGMASTER_FUNCTION_APP:-the function app} does not exist (yet): Event Grid wiring waits for postdeploy"
azd env set RINGMASTER_WIRE_EVENTS false
