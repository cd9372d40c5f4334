/**
 * The join QR code decodes, with a real QR decoder (jsQR) on a screenshot of
 * what the page draws, to exactly the join link: secret fragment included.
 */
import { test, expect } from '@playwright/test'
import jsQR from 'jsqr'
import { PNG } from 'pngjs'
import { closeAll, launchPeer, startServer, uniqueRoom } from './harness'

test('the join QR code decodes to exactly the join link, secret included', async () => {
  const server = await startServer()
  const peer = await launchPeer()
  try {
    const room = uniqueRoom('qr')
    await peer.page.goto(`${server.url}/?engine=sim#room=${room}&key=s3cret-Fragment_42`)
    const link = await peer.page.getByTestId('join-link').inputValue()
    expect(link).toBe(`${server.url}/?engine=sim#room=${room}&key=s3cret-Fragment_42`)
    await peer.page.getByTestId('join-qr-open').click()
    const qr = peer.page.getByTestId('join-qr')
    await expect(qr).toBeVisible()
    await expect(qr).toHaveAttribute('data-ready', 'true')
    await expect(peer.page.getByTestId('join-qr-secret')).toContainText('room secret')
    const png = PNG.sync.read(await qr.screenshot())
    const decoded = jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height)
    expect(decoded?.data).toBe(link)
    await peer.page.getByTestId('join-qr-close').click()
    await expect(qr).toBeHidden()
    expect(peer.errors).toEqual([])
  } finally {
    await closeAll([peer], server)
  }
})
