// Azure's check of GET /api/health. Flex Consumption has no App Service health check
// (siteConfig.healthCheckPath is for Premium and Dedicated plans only), so an Application Insights
// standard availability test calls it from three regions every 5 minutes; the alert fires when two fail.
@description('Name of the availability test.')
param name string
param location string
param tags object
@description('Resource id of the Application Insights component.')
param appInsightsId string
@description('The function app host name (defaultHostName).')
param hostName string

resource test 'Microsoft.Insights/webtests@2022-06-15' = {
  name: name
  location: location
  tags: union(tags, { 'hidden-link:${appInsightsId}': 'Resource' })
  kind: 'standard'
  properties: {
    SyntheticMonitorId: name
    Name: name
    Enabled: true
    Kind: 'standard'
    Frequency: 300
    Timeout: 30
    RetryEnabled: true
    Locations: [ { Id: 'emea-nl-ams-azr' }, { Id: 'us-va-ash-azr' }, { Id: 'apac-sg-sin-azr' } ]
    Request: { RequestUrl: 'https://${hostName}/api/health', HttpVerb: 'GET', ParseDependentRequests: false }
    ValidationRules: { ExpectedHttpStatusCode: 200, SSLCheck: true, SSLCertRemainingLifetimeCheck: 7 }
  }
}

resource failing 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: '${name}-failing'
  location: 'global'
  tags: tags
  properties: {
    severity: 1
    enabled: true
    scopes: [ test.id, appInsightsId ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria'
      webTestId: test.id
      componentId: appInsightsId
      failedLocationCount: 2
    }
  }
}
