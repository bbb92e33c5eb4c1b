// The EventBridge matcher of the tests (util/event-pattern.ts) against the User Guide's examples of each operator.
import { InvalidEventPattern, matches } from './util/event-pattern';

const EC2_EVENT = {
  'version': '0',
  'id': '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  'source': 'aws.ec2',
  'account': '111122223333',
  'time': '2017-12-22T18:43:48Z',
  'region': 'us-west-1',
  'resources': ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  'detail': { 'instance-id': 'i-1234567890abcdef0', 'state': 'terminated', 'c-count': 5, 'd-count': 3.5, 'x-limit': 301.8, 'source-ip': '10.0.0.1' },
};

test('exact values: every field must match (AND), one of a list (OR); case-sensitive strings; nested objects', () => {
  expect(matches({ 'source': ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'] }, EC2_EVENT)).toBe(true);
  expect(matches({ source: ['aws.ec2'], detail: { state: ['running', 'terminated'] } }, EC2_EVENT)).toBe(true);
  expect(matches({ source: ['aws.ec2'], detail: { state: ['running'] } }, EC2_EVENT)).toBe(false);
  expect(matches({ source: ['AWS.EC2'] }, EC2_EVENT)).toBe(false);
  expect(matches({ detail: { 'c-count': [5] } }, EC2_EVENT)).toBe(true);
  expect(matches({ detail: { 'c-count': ['5'] } }, EC2_EVENT)).toBe(false);
  // A field the event lacks: no match.
  expect(matches({ detail: { missing: ['x'] } }, EC2_EVENT)).toBe(false);
  expect(matches({ nothere: { state: ['terminated'] } }, EC2_EVENT)).toBe(false);
});

test('a list in the event matches when one of its items does', () => {
  expect(matches({ resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0', 'other'] }, EC2_EVENT)).toBe(true);
  expect(matches({ resources: ['other'] }, EC2_EVENT)).toBe(false);
});

test('prefix, suffix, equals-ignore-case, wildcard, anything-but, numeric, exists, $or', () => {
  expect(matches({ time: [{ prefix: '2017-12-22' }] }, EC2_EVENT)).toBe(true);
  expect(matches({ source: [{ prefix: { 'equals-ignore-case': 'AWS.' } }] }, EC2_EVENT)).toBe(true);
  expect(matches({ region: [{ suffix: '-1' }] }, EC2_EVENT)).toBe(true);
  expect(matches({ region: [{ suffix: '-2' }] }, EC2_EVENT)).toBe(false);
  expect(matches({ source: [{ 'equals-ignore-case': 'AWS.EC2' }] }, EC2_EVENT)).toBe(true);
  expect(matches({ region: [{ wildcard: 'us-*-1' }] }, EC2_EVENT)).toBe(true);
  expect(matches({ region: [{ wildcard: 'eu-*' }] }, EC2_EVENT)).toBe(false);
  expect(matches({ detail: { state: [{ 'anything-but': 'initializing' }] } }, EC2_EVENT)).toBe(true);
  expect(matches({ detail: { state: [{ 'anything-but': ['stopped', 'terminated'] }] } }, EC2_EVENT)).toBe(false);
  expect(matches({ detail: { state: [{ 'anything-but': { prefix: 'term' } }] } }, EC2_EVENT)).toBe(false);
  expect(matches({ detail: { missing: [{ 'anything-but': 'x' }] } }, EC2_EVENT)).toBe(false);
  expect(matches({ detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }], 'd-count': [{ numeric: ['<', 10] }], 'x-limit': [{ numeric: ['=', 301.8] }] } }, EC2_EVENT)).toBe(true);
  expect(matches({ detail: { 'c-count': [{ numeric: ['>', 5] }] } }, EC2_EVENT)).toBe(false);
  expect(matches({ detail: { state: [{ exists: true }], missing: [{ exists: false }] } }, EC2_EVENT)).toBe(true);
  expect(matches({ detail: { state: [{ exists: false }] } }, EC2_EVENT)).toBe(false);
  expect(matches({ source: ['aws.ec2'], $or: [{ detail: { 'c-count': [{ numeric: ['>', 10] }] } }, { detail: { 'd-count': [3.5] } }] }, EC2_EVENT)).toBe(true);
  expect(matches({ $or: [{ detail: { 'c-count': [1] } }, { region: ['eu-west-1'] }] }, EC2_EVENT)).toBe(false);
});

test('patterns EventBridge refuses are refused, and so is what this matcher does not implement', () => {
  expect(() => matches({ source: 'aws.ec2' }, EC2_EVENT)).toThrow(InvalidEventPattern);
  expect(() => matches({ source: [] }, EC2_EVENT)).toThrow(/empty list/);
  expect(() => matches({ source: [{ regex: 'aws.*' }] }, EC2_EVENT)).toThrow(/unknown operator regex/);
  expect(() => matches({ detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } }, EC2_EVENT)).toThrow(/cidr is not implemented/);
  expect(() => matches({ $or: [{ source: ['aws.ec2'] }] }, EC2_EVENT)).toThrow(/at least two/);
});
