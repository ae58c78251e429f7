#!/bin/sh
# After the code is deployed the functions exist: create the Event Grid subscriptions (AzureFunction destinations),
# the action group (webhook with the function key) and one activity-log alert per fleet subscription, then remember
# to keep them on later `azd provision` runs. azd exports the environment's values (main.bicep outputs) to this script.
set -eu

: "${AZURE_RESOURCE_GROUP:?run through azd (azd up / azd deploy)}"
: "${RINGMASTER_FUNCTION_APP:?missing main.bicep output RINGMASTER_FUNCTION_APP}"

# The subscriptions' destinations are functions: wire only once the host lists them (it syncs its triggers a little
# after the deployment), and never remember the flag for an app that does not answer.
NEEDED="onResourceEvent onReleaseEvent onAlert"
tries=0
while :; do
  listed="$(az functionapp function list --resource-group "$AZURE_RESOURCE_GROUP" --name "$RINGMASTER_FUNCTION_APP" --query "[].name" --output tsv 2>/dev/null || true)"
  missing=""
  for f in $NEEDED; do
    printf '%s\n' "$listed" | grep -q "/$f\$\|^$f\$" || missing="$missing $f"
  done
  [ -z "$missing" ] && break
  tries=$((tries + 1))
  if [ "$tries" -ge "${RINGMASTER_WIRE_TRIES:-10}" ]; then
    echo "ringmaster: ${RINGMASTER_FUNCTION_APP} does not list the functions${missing}; Event Grid and the alerts are not wired." >&2
    echo "ringmaster: check the deployment (az functionapp function list), then run azd deploy again." >&2
    exit 1
  fi
  sleep "${RINGMASTER_WIRE_WAIT_SECONDS:-15}"
done

echo "ringmaster: wiring Event Grid and alerts to ${RINGMASTER_FUNCTION_APP}"
az deployment group create \
  --resource-group "$AZURE_RESOURCE_GROUP" \
  --name ringmaster-wiring \
  --template-file infra/modules/wiring.bicep \
  --parameters \
    functionAppName="$RINGMASTER_FUNCTION_APP" \
    systemTopicName="$RINGMASTER_SYSTEM_TOPIC" \
    systemTopicSubscriptionId="$RINGMASTER_SYSTEM_TOPIC_SUBSCRIPTION_ID" \
    systemTopicResourceGroup="$RINGMASTER_SYSTEM_TOPIC_RESOURCE_GROUP" \
    customTopicName="$RINGMASTER_CUSTOM_TOPIC" \
    deadLetterStorageId="$RINGMASTER_DEAD_LETTER_STORAGE_ID" \
    deadLetterContainerName="$RINGMASTER_DEAD_LETTER_CONTAINER" \
    systemTopicDeadLetter="${RINGMASTER_SYSTEM_TOPIC_DEAD_LETTER:-false}" \
    alertRuleName="$RINGMASTER_ALERT_RULE" \
    alertResourceGroupName="$RINGMASTER_ALERT_RESOURCE_GROUP" \
    location="$AZURE_LOCATION" \
    alertSubscriptionIds="$(printf '%s' "$RINGMASTER_ALERT_SUBSCRIPTION_IDS" | awk -F, '{printf "["; for (i=1;i<=NF;i++) printf "%s\"%s\"", (i>1?",":""), $i; printf "]"}')" \
    tags="{\"azd-env-name\":\"${AZURE_ENV_NAME:-ringmaster}\",\"app\":\"ringmaster\"}" \
  --output none

azd env set RINGMASTER_WIRE_EVENTS true
echo "ringmaster: wired. Check: curl -s \"$RINGMASTER_URL/api/health\""
