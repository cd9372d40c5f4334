export { installDonorBridge, isDonorPage, type DonorBridge, type DonorBridgeDeps } from './donor-bridge'
export * from './protocol'
export { taskView } from './task-view'
