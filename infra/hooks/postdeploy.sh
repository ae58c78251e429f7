#!/bin/sh
# After the code is deployed the functions exist: create the Event Grid subscriptions (AzureFunction destinations),
# the action group (webhook with the function key) and one activity-log alert per fleet subscription, then remember
# to keep them on later `azd provision` runs. azd exports the environment's values (main.bicep outputs) to this script.
set -eu

: "${AZURE_RESOURCE_GROUP:?run through azd (azd up / azd deploy)}"
: "${RINGMASTER_FUNCTION_APP:?missing main.bicep output RINGMASTER_FUNCTION_APP}"

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
    alertRuleName="$RINGMASTER_ALERT_RULE" \
    alertResourceGroupName="$RINGMASTER_ALERT_RESOURCE_GROUP" \
    location="$AZURE_LOCATION" \
    alertSubscriptionIds="$(printf '%s' "$RINGMASTER_ALERT_SUBSCRIPTION_IDS" | awk -F, '{printf "["; for (i=1;i<=NF;i++) printf "%s\"%s\"", (i>1?",":""), $i; printf "]"}')" \
    tags="{\"azd-env-name\":\"${AZURE_ENV_NAME:-ringmaster}\",\"app\":\"ringmaster\"}" \
  --output none

azd env set RINGMASTER_WIRE_EVENTS true
echo "ringmaster: wired. Check: curl -s \"$RINGMASTER_URL/api/health\""
