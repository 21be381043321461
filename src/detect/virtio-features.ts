import type { SysReader } from './reader.js';
import type { VirtioInfo } from '../contracts/detect-disks.js';

/** Bits of include/uapi/linux/virtio_blk.h and virtio_config.h / virtio_ring.h. */
const VIRTIO_BLK_FEATURES: Record<number, string> = {
  1: 'SIZE_MAX',
  2: 'SEG_MAX',
  4: 'GEOMETRY',
  5: 'RO',
  6: 'BLK_SIZE',
  9: 'FLUSH',
  10: 'TOPOLOGY',
  11: 'CONFIG_WCE',
  12: 'MQ',
  13: 'DISCARD',
  14: 'WRITE_ZEROES',
  15: 'LIFETIME',
  16: 'SECURE_ERASE',
  17: 'ZONED',
  24: 'NOTIFY_ON_EMPTY',
  27: 'ANY_LAYOUT',
  28: 'RING_INDIRECT_DESC',
  29: 'RING_EVENT_IDX',
  32: 'VERSION_1',
  33: 'ACCESS_PLATFORM',
  34: 'RING_PACKED',
  35: 'IN_ORDER',
  36: 'ORDER_PLATFORM',
  37: 'SR_IOV',
  38: 'NOTIFICATION_DATA',
  39: 'NOTIF_CONFIG_DATA',
  40: 'RING_RESET',
};

export const VIRTIO_F_RING_PACKED = 34;
export const VIRTIO_BLK_F_MQ = 12;

/** "0010001..." → [2, 6, ...]; null when the text is not a feature bit string. */
export function parseVirtioFeatures(text: string): number[] | null {
  if (!/^[01]+$/.test(text)) return null;
  const bits: number[] = [];
  for (let i = 0; i < text.length; i++) if (text[i] === '1') bits.push(i);
  return bits;
}

export function detectVirtio(r: SysReader, virtioDir: string, blockDevice: boolean): VirtioInfo {
  const bits = r.parse(`${virtioDir}/features`, false, parseVirtioFeatures);
  // Bits below 24 are device-specific: the names above are virtio-blk's.
  const features = (bits ?? [])
    .filter((b) => blockDevice || b >= 24)
    .map((b) => VIRTIO_BLK_FEATURES[b])
    .filter((n): n is string => n !== undefined);
  return {
    device: virtioDir.slice(virtioDir.lastIndexOf('/') + 1),
    featureBits: bits,
    features,
    packedRing: bits === null ? null : bits.includes(VIRTIO_F_RING_PACKED),
    multiqueue: bits === null || !blockDevice ? null : bits.includes(VIRTIO_BLK_F_MQ),
  };
}
