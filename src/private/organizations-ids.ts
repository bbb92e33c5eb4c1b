/**
 * AWS Organizations' ID patterns, from the organizations-2016-11-28 API model (OrganizationalUnitId, and the root
 * alternative of ParentId), for synth-time validation of target account sources.
 */
export const ORGANIZATIONAL_UNIT_ID_PATTERN = /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/;
export const ROOT_ID_PATTERN = /^r-[0-9a-z]{4,32}$/;
