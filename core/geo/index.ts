// core/geo: coordinates (GCJ-02 inside), distances and a local flat frame, geohash cells, geofences,
// delivery areas and fees, and the rules of a rider's location stream. Pure; runs anywhere.
export * from './cells'
export * from './coords'
export * from './delivery-area'
export * from './distance'
export * from './geofence'
export * from './track'
