#!/bin/sh
# Before provisioning:
# 1. An existing system topic (RINGMASTER_SYSTEM_TOPIC_ID: Event Grid allows one per source) dead-letters Ringmaster's
#    undeliverable resource events only with its own identity: look its principal id up once, so that main.bicep grants
#    it the dead-letter container. A topic with no identity is named, with the command that gives it one.
# 2. RINGMASTER_WIRE_EVENTS (set by postdeploy once the functions answered) makes main.bicep create the Event Grid
#    subscriptions, which need the functions to exist. After `azd down` the flag is still in the environment but the
#    app is gone, and provisioning would fail ("Destination endpoint not found"): turn it off until postdeploy has
#    wired a deployed app again.
set -eu

if [ -n "${RINGMASTER_SYSTEM_TOPIC_ID:-}" ] && [ -z "${RINGMASTER_SYSTEM_TOPIC_PRINCIPAL_ID:-}" ]; then
  principal="$(az eventgrid system-topic show --ids "$RINGMASTER_SYSTEM_TOPIC_ID" --query identity.principalId --output tsv 2>/dev/null || true)"
  if [ -n "$principal" ] && [ "$principal" != "None" ]; then
    azd env set RINGMASTER_SYSTEM_TOPIC_PRINCIPAL_ID "$principal"
  else
    echo "ringmaster: the system topic $RINGMASTER_SYSTEM_TOPIC_ID has no identity: undeliverable resource events will not be dead-lettered." >&2
    echo "ringmaster: to dead-letter them, run: az eventgrid system-topic update --ids $RINGMASTER_SYSTEM_TOPIC_ID --identity systemassigned" >&2
  fi
fi

if [ "${RINGMASTER_WIRE_EVENTS:-false}" != "true" ]; then exit 0; fi
if [ -n "${RINGMASTER_FUNCTION_APP:-}" ] && [ -n "${AZURE_RESOURCE_GROUP:-}" ] &&
  az functionapp show --resource-group "$AZURE_RESOURCE_GROUP" --name "$RINGMASTER_FUNCTION_APP" --query name --output tsv >/dev/null 2>&1; then
  exit 0
fi
echo "ringmaster: ${RINGMASTER_FUNCTION_APP:-the function app} does not exist (yet): Event Grid wiring waits for postdeploy"
azd env set RINGMASTER_WIRE_EVENTS false
