"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.couponStates = void 0;
exports.isCouponState = isCouponState;
exports.canTransition = canTransition;
exports.assertTransition = assertTransition;
exports.canRelease = canRelease;
exports.fromTencentStatus = fromTencentStatus;
exports.toTencentStatus = toTencentStatus;
/**
 * The coupon state machine, pure. A claim reserves a coupon as `pending` (it counts against the
 * stock's quota while P云 is asked); P云's grant makes it `available`; a refused grant releases the
 * reservation (the row is deleted, so "released" is not a state). From `available` a coupon is
 * spent (`used`) or ends (`expired`, `invalid`); a spent coupon can only be `refunded`.
 * The store applies every change through `canTransition`, so no caller can apply an illegal one.
 */
const errors_1 = require("../errors");
exports.couponStates = ['pending', 'available', 'used', 'expired', 'invalid', 'refunded'];
const next = {
    pending: ['available'],
    available: ['used', 'expired', 'invalid'],
    used: ['refunded'],
    expired: [],
    invalid: [],
    refunded: [],
};
function isCouponState(s) {
    return typeof s === 'string' && exports.couponStates.includes(s);
}
function canTransition(from, to) {
    return next[from].includes(to);
}
function assertTransition(from, to) {
    if (!canTransition(from, to)) {
        throw new errors_1.CbError('CB_ILLEGAL_TRANSITION', `a coupon in state ${from} cannot become ${to}`);
    }
}
/** Only a reservation still waiting for P云's grant may be dropped. */
function canRelease(state) {
    return state === 'pending';
}
const fromTencent = {
    1: 'available',
    2: 'used',
    3: 'expired',
    4: 'invalid',
};
function fromTencentStatus(status) {
    return fromTencent[status];
}
/**
 * The status Tencent should see. Tencent has no refund state: a refunded coupon was spent, so it
 * reads as used (2). A pending reservation has not been handed to Tencent yet: undefined.
 */
function toTencentStatus(state) {
    switch (state) {
        case 'pending':
            return undefined;
        case 'available':
            return 1;
        case 'used':
        case 'refunded':
            return 2;
        case 'expired':
            return 3;
        case 'invalid':
            return 4;
    }
}
