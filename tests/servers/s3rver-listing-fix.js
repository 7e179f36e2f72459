// Preloaded into s3rver 3.7.1 (node -r) by start-s3rver; two fixes (the second at the end).
// Listings: s3rver's delimiter listing prunes
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

// s3rver's putObject answers once it has handed the body to its write stream, not once the
// stream has finished writing: a GET right after a PUT could read a short file (seen as
// "file is too short to be encrypted" when the conformance suite reads back what it wrote).
// This writes the same file and metadata, and resolves when the write stream finishes.
const fs = require('fs-extra');
const crypto = require('crypto');
const { Transform } = require('stream');

store.prototype.putObject = async function putObjectWhenWritten(object) {
  const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
  await fs.mkdirp(path.dirname(objectPath));
  const [size, md5] = await new Promise((resolve, reject) => {
    const writeStream = fs.createWriteStream(objectPath);
    const md5Context = crypto.createHash('md5');
    let totalLength = 0;
    writeStream
      .on('error', reject)
      .on('finish', () => resolve([totalLength, md5Context.digest('hex')]));
    if (Buffer.isBuffer(object.content)) {
      md5Context.update(object.content);
      totalLength = object.content.length;
      writeStream.end(object.content);
    } else {
      object.content
        .on('error', reject)
        .pipe(
          new Transform({
            transform(chunk, encoding, callback) {
              md5Context.update(chunk, encoding);
              totalLength += chunk.length;
              callback(null, chunk);
            },
          }),
        )
        .pipe(writeStream);
    }
  });
  await this.putMetadata(object.bucket, object.key, object.metadata, md5);
  return { size, md5 };
};
