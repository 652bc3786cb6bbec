// Log Analytics + workspace-based Application Insights with local (instrumentation-key) auth
// disabled: telemetry is accepted only from Entra-authenticated senders (the app's identity,
// which holds Monitoring Metrics Publisher on the component).

@description('Name of the Log Analytics workspace.')
param logAnalyticsName string

@description('Name of the Application Insights component.')
param appInsightsName string

@description('Azure region.')
param location string

@description('Tags for both resources.')
param tags object

@description('Days the workspace keeps logs.')
@minValue(30)
@maxValue(730)
param retentionInDays int

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    IngestionMode: 'LogAnalytics'
    DisableLocalAuth: true
  }
}

output appInsightsName string = appInsights.name
// Not a credential: with DisableLocalAuth the instrumentation key alone cannot send telemetry.
output appInsightsConnectionString string = appInsights.properties.ConnectionString
output workspaceName string = workspace.name
output appInsightsId string = appInsights.id
