// Every API this broker serves, by key. Import API modules only through this file.
import type { Api } from './Api.js';
import { produceApi } from './00_produce.js';
import { fetchApi } from './01_fetch.js';
import { listOffsetsApi } from './02_listOffsets.js';
import { metadataApi } from './03_metadata.js';
import { apiVersionsApi } from './18_apiVersions.js';
import { createTopicsApi } from './19_createTopics.js';
import { deleteTopicsApi } from './20_deleteTopics.js';
import { deleteRecordsApi } from './21_deleteRecords.js';
import { initProducerIdApi } from './22_initProducerId.js';
import { describeConfigsApi } from './32_describeConfigs.js';
import { alterConfigsApi } from './33_alterConfigs.js';
import { createPartitionsApi } from './37_createPartitions.js';
import { incrementalAlterConfigsApi } from './44_incrementalAlterConfigs.js';
import { describeClusterApi } from './60_describeCluster.js';

export const API_LIST: Api[] = [
  produceApi,
  fetchApi,
  listOffsetsApi,
  metadataApi,
  apiVersionsApi,
  createTopicsApi,
  deleteTopicsApi,
  deleteRecordsApi,
  initProducerIdApi,
  describeConfigsApi,
  alterConfigsApi,
  createPartitionsApi,
  incrementalAlterConfigsApi,
  describeClusterApi,
].sort((a, b) => a.key - b.key);

export { API_VERSIONS_KEY, encodeUnsupportedApiVersions } from './18_apiVersions.js';
export { NO_RESPONSE, type Api, type RequestContext } from './Api.js';
