// Every API this broker serves, by key. Import API modules only through this file.
import type { Api, RequestContext } from './Api.js';
import { produceApi } from './00_produce.js';
import { fetchApi } from './01_fetch.js';
import { listOffsetsApi } from './02_listOffsets.js';
import { metadataApi } from './03_metadata.js';
import { offsetCommitApi } from './08_offsetCommit.js';
import { offsetFetchApi } from './09_offsetFetch.js';
import { findCoordinatorApi } from './10_findCoordinator.js';
import { joinGroupApi } from './11_joinGroup.js';
import { heartbeatApi } from './12_heartbeat.js';
import { leaveGroupApi } from './13_leaveGroup.js';
import { syncGroupApi } from './14_syncGroup.js';
import { describeGroupsApi } from './15_describeGroups.js';
import { listGroupsApi } from './16_listGroups.js';
import { apiVersionsApi } from './18_apiVersions.js';
import { createTopicsApi } from './19_createTopics.js';
import { deleteTopicsApi } from './20_deleteTopics.js';
import { deleteRecordsApi } from './21_deleteRecords.js';
import { initProducerIdApi } from './22_initProducerId.js';
import { offsetForLeaderEpochApi } from './23_offsetForLeaderEpoch.js';
import { writeTxnMarkersApi } from './27_writeTxnMarkers.js';
import { addPartitionsToTxnApi } from './24_addPartitionsToTxn.js';
import { addOffsetsToTxnApi } from './25_addOffsetsToTxn.js';
import { endTxnApi } from './26_endTxn.js';
import { txnOffsetCommitApi } from './28_txnOffsetCommit.js';
import { describeConfigsApi } from './32_describeConfigs.js';
import { alterConfigsApi } from './33_alterConfigs.js';
import { createPartitionsApi } from './37_createPartitions.js';
import { alterReplicaLogDirsApi } from './34_alterReplicaLogDirs.js';
import { describeLogDirsApi } from './35_describeLogDirs.js';
import { deleteGroupsApi } from './42_deleteGroups.js';
import { electLeadersApi } from './43_electLeaders.js';
import { describeClientQuotasApi } from './48_describeClientQuotas.js';
import { alterClientQuotasApi } from './49_alterClientQuotas.js';
import { describeQuorumApi } from './55_describeQuorum.js';
import { unregisterBrokerApi } from './64_unregisterBroker.js';
import { alterPartitionReassignmentsApi } from './45_alterPartitionReassignments.js';
import { listPartitionReassignmentsApi } from './46_listPartitionReassignments.js';
import { incrementalAlterConfigsApi } from './44_incrementalAlterConfigs.js';
import { offsetDeleteApi } from './47_offsetDelete.js';
import { describeClusterApi } from './60_describeCluster.js';
import { describeProducersApi } from './61_describeProducers.js';
import { describeTransactionsApi } from './65_describeTransactions.js';
import { listTransactionsApi } from './66_listTransactions.js';
import { saslHandshakeApi } from './17_saslHandshake.js';
import { saslAuthenticateApi } from './36_saslAuthenticate.js';
import { describeUserScramCredentialsApi } from './50_describeUserScramCredentials.js';
import { alterUserScramCredentialsApi } from './51_alterUserScramCredentials.js';
import { listClientMetricsResourcesApi } from './74_listClientMetricsResources.js';
import { describeAclsApi } from './29_describeAcls.js';
import { createAclsApi } from './30_createAcls.js';
import { deleteAclsApi } from './31_deleteAcls.js';
import { withAuthorization } from './authorization.js';
import { describeTopicPartitionsApi } from './75_describeTopicPartitions.js';
import { withRequestQuota } from '../quota/requestQuota.js';

export const API_LIST: Api[] = ([
  produceApi,
  fetchApi,
  listOffsetsApi,
  metadataApi,
  offsetCommitApi,
  offsetFetchApi,
  findCoordinatorApi,
  joinGroupApi,
  heartbeatApi,
  leaveGroupApi,
  syncGroupApi,
  describeGroupsApi,
  listGroupsApi,
  apiVersionsApi,
  createTopicsApi,
  deleteTopicsApi,
  deleteRecordsApi,
  initProducerIdApi,
  offsetForLeaderEpochApi,
  writeTxnMarkersApi,
  addPartitionsToTxnApi,
  addOffsetsToTxnApi,
  endTxnApi,
  txnOffsetCommitApi,
  describeConfigsApi,
  alterConfigsApi,
  createPartitionsApi,
  deleteGroupsApi,
  electLeadersApi,
  alterPartitionReassignmentsApi,
  listPartitionReassignmentsApi,
  incrementalAlterConfigsApi,
  offsetDeleteApi,
  describeClusterApi,
  describeProducersApi,
  describeTransactionsApi,
  listTransactionsApi,
  saslHandshakeApi,
  saslAuthenticateApi,
  describeUserScramCredentialsApi,
  alterUserScramCredentialsApi,
  listClientMetricsResourcesApi,
  describeAclsApi,
  createAclsApi,
  deleteAclsApi,
  alterReplicaLogDirsApi,
  describeLogDirsApi,
  describeTopicPartitionsApi,
  describeClientQuotasApi,
  alterClientQuotasApi,
  describeQuorumApi,
  unregisterBrokerApi,
] as Api<any, any, RequestContext>[])
  .map(withAuthorization) // each API behind its rule in authorization.ts
  .map(withRequestQuota) // handler time against request_percentage (quota/requestQuota.ts)
  .sort((a, b) => a.key - b.key);

export { encodeUnsupportedApiVersions } from './18_apiVersions.js';
export { NO_RESPONSE, type Api, type RequestContext } from './Api.js';
