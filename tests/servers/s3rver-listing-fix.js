// Preloaded into s3rver 3.7.1 (node -r) by start-s3rver. s3rver's delimiter listing prunes
// every directory below the first delimiter before looking inside it, so a "directory" that
// holds only subdirectories (keys a/b/x with no key a/y) never appears as a CommonPrefix, and
// nested trees look empty. This lists the prefix without the delimiter through s3rver's own
// store and groups the keys here. Like s3rver, MaxKeys counts objects only; the continuation
// point stays the last object key, and since a common prefix's keys never interleave with the
// objects beside it, no prefix is reported on two pages.
'use strict';

const path = require('path');

const store = require(path.join(__dirname, 'node_modules/s3rver/lib/stores/filesystem.js'));
const listAll = store.prototype.listObjects;

store.prototype.listObjects = async function listObjectsGrouped(bucket, options) {
  const { delimiter = '', prefix = '', maxKeys = Infinity } = options;
  if (!delimiter) return listAll.call(this, bucket, options);
  const all = await listAll.call(this, bucket, { ...options, delimiter: '', maxKeys: Infinity });
  const objects = [];
  const prefixes = new Set();
  let isTruncated = false;
  for (const object of all.objects) {
    const rest = object.key.slice(prefix.length);
    const at = rest.indexOf(delimiter);
    if (at !== -1) {
      prefixes.add(prefix + rest.slice(0, at + delimiter.length));
      continue;
    }
    if (objects.length >= maxKeys) {
      isTruncated = true;
      break;
    }
    objects.push(object);
  }
  return { objects, commonPrefixes: [...prefixes].sort(), isTruncated };
};
